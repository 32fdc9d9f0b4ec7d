"""The `/sop` command: help, list, and search that starts a run or offers a choice."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.services import runs
from bot.services.access import Viewer
from bot.services.lookup import lookup, relevant_sops
from bot.slack.access import Caller, sender
from bot.slack.authz import is_admin, is_manager
from bot.slack.blocks import access as access_blocks
from bot.slack.blocks import lookup as blocks
from bot.slack.cards import run_card, sop_card
from bot.slack.listeners.kpis import config_command, kpis_command
from bot.slack.listeners.training import training_command
from bot.slack.runner import Runner, reply

log = logging.getLogger(__name__)

MAX_QUERY = 300
HELP_WORDS = frozenset({"", "help", "?", "-h", "--help"})


def register(app: App, runtime: Runtime, runner: Runner) -> None:
    """Attach `/sop`."""

    @app.command("/sop")
    def sop_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        # Ack first and answer through response_url: no database or Slack call can make
        # Slack's 3-second window close on the person typing.
        ack()
        runner.later(answer_sop, runtime, runner, command, respond=respond)


def answer_sop(
    runtime: Runtime, runner: Runner, command: dict[str, Any], *, respond: Respond
) -> None:
    """Route `/sop TEXT` to help, list, training, kpis, config or a search."""
    text = " ".join(command.get("text", "").split())
    caller, channel_id = sender(command), command["channel_id"]
    user_id, word = caller.user_id, text.lower().split(" ")[0]
    viewer = runner.access.viewer(caller)
    if text.lower() in HELP_WORDS:
        reply(respond, help_message(runtime, runner, viewer, command.get("channel_name")))
    elif text.lower() == "list":
        entries = runner.access.snapshot(viewer).entries
        empty = access_blocks.empty_list(sees_all=runner.access.sees_all(viewer))
        reply(respond, blocks.sop_list(sops=[sop_card(e) for e in entries], empty=empty))
    elif word == "training":
        snapshot = runner.access.snapshot(viewer)
        training_command(runtime, runner.client, text[9:], user_id, respond, snapshot=snapshot)
    elif word == "kpis":
        kpis_command(runtime, runner.client, text[5:], user_id, respond)
    elif text.lower() == "config":
        config_command(runtime, runner.client, user_id, command["trigger_id"], respond)
    elif len(text) > MAX_QUERY:
        reply(
            respond,
            blocks.plain_notice(
                f"That query is {len(text):,} characters long. Try a few words, "
                "like /sop refund, or /sop list to see every SOP."
            ),
        )
    else:
        search(runtime, runner, text, viewer, channel_id, respond)


def help_message(
    runtime: Runtime, runner: Runner, viewer: Viewer, channel_name: str | None
) -> dict:
    """Usage, the caller's unfinished runs, and the SOPs most relevant to them."""
    snapshot, user_id = runner.access.snapshot(viewer), viewer.user_id
    with runtime.database.session() as session:
        entries = relevant_sops(
            session, snapshot=snapshot, user_id=user_id, channel_name=channel_name
        )
        unfinished = runs.unfinished_runs(session, user_id=user_id)
    return blocks.help_message(
        sops=[sop_card(e) for e in entries[:10]],
        unfinished=[run_card(r) for r in runner.access.runs(unfinished, snapshot, viewer)],
        **_roles(runtime, runner, user_id),
        empty=access_blocks.empty_list(sees_all=runner.access.sees_all(viewer)),
    )


def _roles(runtime: Runtime, runner: Runner, user_id: str) -> dict[str, bool]:
    """Whether the help shows the manager and admin commands; a Slack error hides them only."""
    try:
        return {
            "manager": is_manager(runner.client, runtime, user_id),
            "admin": is_admin(runner.client, runtime, user_id),
        }
    except SlackApiError as exc:
        log.warning("could not tell whether %s is a manager: %s", user_id, exc)
        return {"manager": False, "admin": False}


def search(
    runtime: Runtime,
    runner: Runner,
    query: str,
    viewer: Viewer,
    channel_id: str,
    respond: Respond,
) -> None:
    """Start the one clear match, or offer the candidates, or say nothing matched."""
    snapshot, user_id = runner.access.snapshot(viewer), viewer.user_id
    with runtime.database.session() as session:
        result = lookup(
            session, snapshot=snapshot, query=query, user_id=user_id, now=runtime.clock()
        )
        unfinished = runs.unfinished_runs(session, user_id=user_id)
    if result.kind == "none" and not runner.access.sees_all(viewer):
        reply(respond, access_blocks.none_to_open(query))
        return
    if result.kind == "none":
        reply(respond, blocks.no_match(query=query, closest=[sop_card(e) for e in result.closest]))
        return
    if result.kind == "pick":
        reply(
            respond,
            blocks.pick_list(
                query=query,
                hits=[sop_card(e) for e in result.entries],
                unfinished=[run_card(r) for r in unfinished],
            ),
        )
        return
    slug = result.entries[0].slug
    open_run = next((r for r in unfinished if r.slug == slug), None)
    if open_run is not None:
        reply(respond, blocks.unfinished_offer(run=run_card(open_run)))
        return
    # A command names no person's team (see bot/slack/access.py), so the caller is the user.
    runner.start(slug=slug, caller=Caller(user_id), channel_id=channel_id, respond=respond)
