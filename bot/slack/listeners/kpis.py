"""`/sop kpis`, `/sop config`, the digest's Details button and the review nudge's Confirm button."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.core.search import clear_winner
from bot.db.sops import default_workspace
from bot.runtime import Runtime
from bot.services import digest as digests
from bot.services import digest_config, sop_review
from bot.slack.authz import is_admin, is_manager
from bot.slack.blocks import digest as blocks
from bot.slack.blocks import digest_views as views
from bot.slack.blocks.lookup import plain_notice
from bot.slack.ids import Action, View
from bot.slack.runner import Runner, reply
from bot.slack.unavailable import modal_answer

log = logging.getLogger(__name__)
PERIOD = re.compile(r"^(\d+)d$")
PERIODS = (7, 30)


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


def _find(runtime: Runtime, query: str) -> tuple[str, str | None] | None:
    """(slug, owner) of the SOP the query clearly names."""
    with runtime.database.session() as session:
        snapshot = runtime.catalog.snapshot(session)
        entry = snapshot.get(query.lower()) or (
            snapshot.get(winner.slug)
            if (winner := clear_winner(snapshot.index.search(query, limit=8)))
            else None
        )
        return (entry.slug, entry.sop.owner) if entry is not None else None


def kpis_command(
    runtime: Runtime, client: WebClient, text: str, user_id: str, respond: Respond
) -> None:
    """`/sop kpis [SOP] [7d|30d]`: the KPIs, ephemerally, for managers and the SOP's owner."""
    parsed = parse_kpis(text)
    if isinstance(parsed, str):
        reply(respond, plain_notice(parsed))
        return
    query, days = parsed
    found = _find(runtime, query) if query else None
    if query and found is None:
        reply(respond, plain_notice(f"No SOP clearly matches “{query[:100]}”. Try /sop list."))
        return
    if not is_manager(client, runtime, user_id, sop_owner=found[1] if found else None):
        reply(respond, blocks.refusal())
        return
    reply(respond, kpis_answer(runtime, slug=found[0] if found else None, days=days))


def kpis_answer(runtime: Runtime, *, slug: str | None, days: int) -> dict[str, Any]:
    """The `/sop kpis` message for one SOP or for all."""
    with runtime.database.session() as session:
        workspace = default_workspace(session)
        config = digest_config.load(session, settings=runtime.settings, workspace=workspace)
        kpis = digests.kpis(
            session, workspace_id=workspace.id, tz=config.zone, days=days, now=runtime.clock()
        )
    if slug is None:
        return blocks.kpis_message(kpis, days=days)
    if slug not in kpis.sops:
        return plain_notice(f"No numbers for {slug} yet.")
    return blocks.sop_kpis_message(kpis.sops[slug], days=days)


def config_command(
    runtime: Runtime, client: WebClient, user_id: str, trigger_id: str, respond: Respond
) -> None:
    """`/sop config`: the digest settings form, for admins."""
    if not is_admin(client, runtime, user_id):
        reply(respond, views.not_an_admin())
        return
    with runtime.database.session() as session:
        workspace = default_workspace(session)
        config = digest_config.load(session, settings=runtime.settings, workspace=workspace)
    client.views_open(trigger_id=trigger_id, view=views.config_modal(config))


def save_config(runtime: Runtime, client: WebClient, view: dict, user_id: str) -> dict:
    """The ack for the submitted form: errors under the fields, or what was saved."""
    if not is_admin(client, runtime, user_id):
        return {"response_action": "errors", "errors": {views.CHANNEL_BLOCK: "Admins only."}}
    with runtime.database.session() as session:
        workspace = default_workspace(session)
        current = digest_config.load(session, settings=runtime.settings, workspace=workspace)
        try:
            config = digest_config.parse(views.read_config(view), current)
        except digest_config.ConfigProblem as problem:
            block = views.FIELD_BLOCKS.get(problem.field, views.CHANNEL_BLOCK)
            return {"response_action": "errors", "errors": {block: str(problem)}}
        digest_config.save(session, workspace=workspace, config=config)
    log.info("digest settings changed by %s: %s", user_id, config.to_json())
    return {"response_action": "update", "view": views.saved_view(config)}


def confirm_review(
    runtime: Runtime, client: WebClient, slug: str, user_id: str, respond: Respond
) -> None:
    """The nudge's Confirm button: the owner or a manager records a review in place."""
    found = _find(runtime, slug)
    if found is None:
        reply(respond, plain_notice(f"The SOP {slug} is no longer published."))
        return
    if not is_manager(client, runtime, user_id, sop_owner=found[1]):
        reply(respond, plain_notice("Only the SOP's owner or a manager can confirm its review."))
        return
    now = runtime.clock()
    with runtime.database.session() as session:
        record = runtime.live_sop(session, found[0])
        assert record is not None
        sop_review.confirm_review(session, record=record, user_id=user_id, now=now)
        title = record.title
    done = views.review_confirmed(slug=found[0], title=title, by=user_id, at=now)
    reply(respond, done, replace=True)


def home_section(runtime: Runtime, client: WebClient, user_id: str) -> list[dict[str, Any]]:
    """Today's KPIs for a manager's Home tab; nothing for anyone else."""
    if not is_manager(client, runtime, user_id):
        return []
    with runtime.database.session() as session:
        workspace = default_workspace(session)
        config = digest_config.load(session, settings=runtime.settings, workspace=workspace)
        kpis = digests.kpis(
            session, workspace_id=workspace.id, tz=config.zone, days=1, now=runtime.clock()
        )
    return blocks.home_section(kpis)


def register(app: App, runtime: Runtime, runner: Runner) -> None:
    """Attach the digest's buttons and the settings form."""

    @app.action(Action.DIGEST_DETAILS)
    def details(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        slug = str(action.get("value", ""))[:100]
        runner.later(
            kpis_command, runtime, runner.client, slug, body["user"]["id"], respond=respond
        )

    @app.action(Action.REVIEW_CONFIRM)
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        slug = str(action.get("value", ""))[:100]
        user_id = body["user"]["id"]
        runner.later(confirm_review, runtime, runner.client, slug, user_id, respond=respond)

    @app.view(View.DIGEST_CONFIG)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        ack(**modal_answer(view, lambda: save_config(runtime, runner.ack_client, view, user_id)))
