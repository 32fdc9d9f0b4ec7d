"""`/sop kpis`, `/sop config`, the review nudge's Confirm, and today's KPIs on a Home tab."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Respond

from bot.core.kpis.windows import PERIODS
from bot.db.sops import default_workspace
from bot.services import digest as digests
from bot.services import digest_config, kpi_handoffs, scheduled_kpis, sop_review, team_digests
from bot.services.catalog import Entry
from bot.slack.authz import is_admin, managed_sops, may_handle_sop
from bot.slack.context import SlackContext, reply
from bot.slack.kit.notices import plain_notice
from bot.slack.kpis import blocks, views
from bot.slack.payload import sender

log = logging.getLogger(__name__)
PERIOD = re.compile(r"^(\d+)d$")


def parse_kpis(text: str) -> tuple[str, int] | str:
    """`[SOP] [7d|30d]` as (query, days), or the message that says what is wrong."""
    words = text.split()
    days = 7
    if words and (match := PERIOD.match(words[-1].lower())):
        days = int(match[1])
        words = words[:-1]
        if days not in PERIODS:
            return "Use 7d or 30d, as in /sop kpis refund 30d."
    return " ".join(words), days


def _find(ctx: SlackContext, query: str) -> Entry | None:
    """The live SOP the query clearly names (any SOP: the numbers are for managers)."""
    with ctx.runtime.database.session() as session:
        return ctx.runtime.catalog.snapshot(session).resolve(query).entry


def answer_kpis(ctx: SlackContext, command: dict[str, Any], text: str, respond: Respond) -> None:
    """`/sop kpis [SOP] [7d|30d]`."""
    kpis_command(ctx, text, sender(command).user_id, respond)


def kpis_command(ctx: SlackContext, text: str, user_id: str, respond: Respond) -> None:
    """The KPIs, ephemerally, for managers and the SOP's owner (also the digest's Details)."""
    parsed = parse_kpis(text)
    if isinstance(parsed, str):
        reply(respond, plain_notice(parsed))
        return
    query, days = parsed
    found = _find(ctx, query) if query else None
    if query and found is None:
        reply(respond, plain_notice(f"No SOP clearly matches “{query[:100]}”. Try /sop list."))
        return
    if not may_handle_sop(
        ctx, user_id, found.sop.owner if found else None, slug=found.slug if found else None
    ):
        reply(respond, blocks.refusal())
        return
    reply(respond, kpis_answer(ctx, slug=found.slug if found else None, days=days))


def kpis_answer(ctx: SlackContext, *, slug: str | None, days: int) -> dict[str, Any]:
    """The `/sop kpis` message for one SOP or for all."""
    runtime = ctx.runtime
    with runtime.database.session() as session:
        workspace = default_workspace(session)
        config = digest_config.load(session, settings=runtime.settings, workspace=workspace)
        kpis = digests.kpis(
            session, workspace_id=workspace.id, tz=config.zone, days=days, now=runtime.clock()
        )
        waits, _ = kpi_handoffs.handoffs(
            session, workspace_id=workspace.id, tz=config.zone, days=days, now=runtime.clock()
        )
        schedule = scheduled_kpis.rows(
            session,
            workspace_id=workspace.id,
            start=kpis.window.start,
            end=kpis.window.end,
            now=runtime.clock(),
            slugs=None if slug is None else {slug},
        )
    if slug is None:
        return blocks.kpis_message(kpis, days=days, schedule=schedule)
    if slug not in kpis.sops:
        return plain_notice(f"No numbers for {slug} yet.")
    message = blocks.sop_kpis_message(kpis.sops[slug], days=days, schedule=schedule)
    if slug in waits:
        message["blocks"].append(blocks.handoff_section(waits[slug]))
    return message


def answer_config(ctx: SlackContext, command: dict[str, Any], rest: str, respond: Respond) -> None:
    """`/sop config [#managers-channel]`: the digest settings form, for admins."""
    if not is_admin(ctx, sender(command).user_id):
        reply(respond, views.not_an_admin())
        return
    settings = ctx.runtime.settings
    with ctx.runtime.database.session() as session:
        workspace = default_workspace(session)
        config = digest_config.load(session, settings=settings, workspace=workspace)
        written = team_digests.managers_channels(ctx.runtime.catalog.snapshot(session).entries)
    channels = {cid: w for w in written if (cid := _channel_id(ctx, w))}
    wanted = _channel_id(ctx, rest.strip()) if rest.strip() else None
    if rest.strip() and wanted not in channels:
        known = ", ".join(sorted(written)) or "none yet"
        reply(respond, plain_notice(f"No SOP names {rest.strip()[:80]} as its managers ({known})."))
        return
    with ctx.runtime.database.session() as session:
        workspace = default_workspace(session)
        teams = tuple(
            team_digests.load(session, settings=settings, workspace=workspace, channel_id=cid)
            for cid in sorted(channels)
        )
    if wanted is not None:
        team = next(t for t in teams if t.channel == wanted)
        view = views.config_modal(team, team=True)
    else:
        view = views.config_modal(config, teams=teams)
    ctx.client.views_open(trigger_id=command["trigger_id"], view=view)


def _channel_id(ctx: SlackContext, written: str) -> str | None:
    """`#name`, `<#C123|name>` or an ID -> the channel ID."""
    text = written.strip()
    if text.startswith("<#") and text.endswith(">"):
        return text[2:-1].split("|")[0]
    return ctx.people.channel_id(text[1:]) if text.startswith("#") else text or None


def save_config(ctx: SlackContext, view: dict, user_id: str) -> dict:
    """The ack for the submitted form: errors under the fields, or what was saved."""
    if not is_admin(ctx, user_id):
        return {"response_action": "errors", "errors": {views.CHANNEL_BLOCK: "Admins only."}}
    team = view.get("private_metadata") or None  # a managers channel's digest
    with ctx.runtime.database.session() as session:
        workspace = default_workspace(session)
        settings = ctx.runtime.settings
        current = (
            team_digests.load(session, settings=settings, workspace=workspace, channel_id=team)
            if team
            else digest_config.load(session, settings=settings, workspace=workspace)
        )
        values = views.read_config(view)
        if team:
            values["channel"] = team
        try:
            config = digest_config.parse(values, current)
        except digest_config.ConfigProblem as problem:
            block = views.FIELD_BLOCKS.get(problem.field, views.CHANNEL_BLOCK)
            return {"response_action": "errors", "errors": {block: str(problem)}}
        if team:
            team_digests.save(session, workspace=workspace, config=config)
        else:
            digest_config.save(session, workspace=workspace, config=config)
    log.info("digest settings changed by %s: %s", user_id, config.to_json())
    return {"response_action": "update", "view": views.saved_view(config)}


def confirm_review(ctx: SlackContext, slug: str, user_id: str, respond: Respond) -> None:
    """The nudge's Confirm button: the owner or a manager records a review in place."""
    found = _find(ctx, slug)
    if found is None:
        reply(respond, plain_notice(f"The SOP {slug} is no longer published."))
        return
    if not may_handle_sop(ctx, user_id, found.sop.owner, slug=found.slug):
        reply(respond, plain_notice("Only the SOP's owner or a manager can confirm its review."))
        return
    now = ctx.runtime.clock()
    with ctx.runtime.database.session() as session:
        record = ctx.runtime.live_sop(session, found.slug)
        assert record is not None
        sop_review.confirm_review(session, record=record, user_id=user_id, now=now)
        title = record.title
    done = views.review_confirmed(slug=found.slug, title=title, by=user_id, at=now)
    reply(respond, done, replace=True)


def home_section(ctx: SlackContext, user_id: str) -> list[dict[str, Any]]:
    """Today's KPIs for a manager's Home tab: of every SOP for a manager of all, of their own
    for an SOP's owner or a member of its `managers:` channel; nothing for anyone else."""
    managed = managed_sops(ctx, user_id)
    if managed is not None and not managed:
        return []
    runtime = ctx.runtime
    with runtime.database.session() as session:
        workspace = default_workspace(session)
        config = digest_config.load(session, settings=runtime.settings, workspace=workspace)
        kpis = digests.kpis(
            session, workspace_id=workspace.id, tz=config.zone, days=1, now=runtime.clock(),
            slugs=managed,
        )  # fmt: skip
        snapshot = runtime.catalog.snapshot(session)
    if managed is None:
        return blocks.home_section(kpis)
    found = (snapshot.get(slug) for slug in managed)
    mine = sorted((e for e in found if e is not None), key=lambda e: e.sop.title.lower())
    return blocks.home_section(kpis, sops=[(e.slug, e.sop.title) for e in mine]) if mine else []
