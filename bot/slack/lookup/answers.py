"""`/sop` help, list and search: what the caller may open, and a run started on a clear match."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Respond
from slack_sdk.errors import SlackApiError

from bot.services import runs
from bot.services.access import Viewer
from bot.services.catalog import Snapshot
from bot.services.lookup import lookup, relevant_sops
from bot.slack.authz import is_admin, managed_sops
from bot.slack.context import SlackContext, reply
from bot.slack.kit.cards import run_card, sop_card
from bot.slack.kit.notices import empty_list, none_to_open
from bot.slack.lookup import blocks
from bot.slack.payload import Caller, sender
from bot.slack.runs.runner import Runner

log = logging.getLogger(__name__)


def answer_help(ctx: SlackContext, command: dict[str, Any], rest: str, respond: Respond) -> None:
    """`/sop` or `/sop help`: usage, the caller's unfinished runs and their SOPs."""
    viewer = ctx.access.viewer(sender(command))
    reply(respond, help_message(ctx, viewer, command.get("channel_name")))


def answer_list(ctx: SlackContext, command: dict[str, Any], rest: str, respond: Respond) -> None:
    """`/sop list`: every SOP the caller may open, by tag."""
    viewer = ctx.access.viewer(sender(command))
    entries = ctx.access.snapshot(viewer).entries
    empty = empty_list(sees_all=ctx.access.sees_all(viewer))
    reply(respond, blocks.sop_list(sops=[sop_card(e) for e in entries], empty=empty))


def help_message(ctx: SlackContext, viewer: Viewer, channel_name: str | None) -> dict:
    """Usage, the caller's unfinished runs, and the SOPs most relevant to them."""
    access, user_id, database = ctx.access, viewer.user_id, ctx.runtime.database
    with database.session() as session:
        everything = ctx.runtime.catalog.snapshot(session)
    # Slack is asked outside a session (see Access.snapshot); one snapshot serves the whole help.
    snapshot = access.restrict(everything, viewer)
    with database.session() as session:
        entries = relevant_sops(
            session, snapshot=snapshot, user_id=user_id, channel_name=channel_name
        )
        unfinished = runs.unfinished_runs(session, user_id=user_id)
    return blocks.help_message(
        sops=[sop_card(e) for e in entries[:10]],
        unfinished=[run_card(r) for r in access.runs(unfinished, snapshot, viewer)],
        **_roles(ctx, user_id, everything),
        empty=empty_list(sees_all=access.sees_all(viewer)),
    )


def _roles(ctx: SlackContext, user_id: str, snapshot: Snapshot) -> dict[str, Any]:
    """Whether the help shows the manager and admin commands, and for which SOPs (someone who
    owns some or is in their `managers:` channel); a Slack error hides them only."""
    try:
        managed = managed_sops(ctx, user_id, snapshot)
        admin = is_admin(ctx, user_id)
    except SlackApiError as exc:
        log.warning("could not tell whether %s is a manager: %s", user_id, exc)
        return {"manager": False, "admin": False}
    if managed is None:
        return {"manager": True, "admin": admin}
    found = (snapshot.get(slug) for slug in managed)
    mine = sorted((e for e in found if e is not None), key=lambda e: e.sop.title.lower())
    return {"manager": False, "admin": admin, "managed": [sop_card(e) for e in mine]}


def search(ctx: SlackContext, command: dict[str, Any], query: str, respond: Respond) -> None:
    """Start the one clear match, or offer the candidates, or say nothing matched."""
    access = ctx.access
    viewer = access.viewer(sender(command))
    snapshot, user_id = access.snapshot(viewer), viewer.user_id
    with ctx.runtime.database.session() as session:
        result = lookup(
            session, snapshot=snapshot, query=query, user_id=user_id, now=ctx.runtime.clock()
        )
        # A miss shows no runs: the person's unfinished runs are read for a match only.
        found = result.kind != "none"
        unfinished = runs.unfinished_runs(session, user_id=user_id) if found else []
    if result.kind == "none" and not access.sees_all(viewer):
        reply(respond, none_to_open(query))
        return
    if result.kind == "none":
        reply(respond, blocks.no_match(query=query, closest=[sop_card(e) for e in result.closest]))
        return
    if result.kind == "pick":
        hits = [sop_card(e) for e in result.entries]
        unfinished_cards = [run_card(r) for r in unfinished]
        reply(respond, blocks.pick_list(query=query, hits=hits, unfinished=unfinished_cards))
        return
    slug = result.entries[0].slug
    open_run = next((r for r in unfinished if r.slug == slug), None)
    if open_run is not None:
        reply(respond, blocks.unfinished_offer(run=run_card(open_run)))
        return
    # A command names no person's team (see bot/slack/access.py), so the caller is the user.
    channel_id = command["channel_id"]
    Runner(ctx).start(slug=slug, caller=Caller(user_id), channel_id=channel_id, respond=respond)
