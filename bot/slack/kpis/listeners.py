"""KPI buttons and forms: the digest's Details, the review nudge's Confirm, `/sop config`'s form."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack.context import SlackContext
from bot.slack.guard.unavailable import modal_answer
from bot.slack.ids import Action, View
from bot.slack.kpis.answers import confirm_review, kpis_command, save_config

MAX_SLUG = 100


def register(app: App, ctx: SlackContext) -> None:
    """Attach the digest's buttons and the settings form."""
    # The form answers in its ack: its Slack calls must fail fast, not retry.
    on_ack = ctx.on_ack_path()

    @app.action(Action.DIGEST_DETAILS)
    def details(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        slug = str(action.get("value", ""))[:MAX_SLUG]
        ctx.later(kpis_command, ctx, slug, body["user"]["id"], respond=respond)

    @app.action(Action.REVIEW_CONFIRM)
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        slug = str(action.get("value", ""))[:MAX_SLUG]
        ctx.later(confirm_review, ctx, slug, body["user"]["id"], respond=respond)

    @app.view(View.DIGEST_CONFIG)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        ack(**modal_answer(view, lambda: save_config(on_ack, view, user_id)))
