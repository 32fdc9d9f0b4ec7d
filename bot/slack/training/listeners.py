"""Training: the quiz buttons in the DM (start, answer, submit, retry)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack.context import SlackContext
from bot.slack.ids import Action
from bot.slack.payload import numbers
from bot.slack.training.blocks import choices_block_id
from bot.slack.training.trainer import Trainer, Where


def _where(body: dict[str, Any]) -> Where | None:
    """The pressed message, to update in place; None on the Home tab."""
    container = body.get("container") or {}
    if container.get("type") != "message" or container.get("is_ephemeral"):
        return None
    return container["channel_id"], container["message_ts"]


def _ticked(body: dict[str, Any], attempt_id: int, position: int) -> list[int]:
    """The boxes ticked in this question's checkboxes, as option positions."""
    values = (body.get("state") or {}).get("values") or {}
    entry = (values.get(choices_block_id(attempt_id, position)) or {}).get(Action.QUIZ_CHOICES)
    options = (entry or {}).get("selected_options") or []
    return [int(o["value"]) for o in options if str(o.get("value", "")).isdigit()]


def register(app: App, ctx: SlackContext) -> None:
    """Attach the quiz buttons."""
    trainer = Trainer(ctx)

    @app.action(Action.START_QUIZ)
    def start(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (ids := numbers(action.get("value"), 1)) is not None:
            ctx.later(
                trainer.start,
                assignment_id=ids[0],
                user_id=body["user"]["id"],
                respond=respond,
                where=_where(body),
            )

    @app.action(Action.QUIZ_ANSWER)
    def answer(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (ids := numbers(action.get("value"), 3)) is not None:
            attempt_id, position, option = ids
            ctx.later(
                trainer.answer,
                attempt_id=attempt_id,
                position=position,
                chosen=[option],
                user_id=body["user"]["id"],
                respond=respond,
                where=_where(body),
            )

    @app.action(Action.QUIZ_SUBMIT)
    def submit(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (ids := numbers(action.get("value"), 2)) is not None:
            attempt_id, position = ids
            ctx.later(
                trainer.answer,
                attempt_id=attempt_id,
                position=position,
                chosen=_ticked(body, attempt_id, position),
                user_id=body["user"]["id"],
                respond=respond,
                where=_where(body),
            )

    @app.action(Action.QUIZ_CHOICES)
    def tick(ack: Ack) -> None:
        ack()  # ticking a box changes nothing until Submit

    @app.action(Action.QUIZ_RETRY)
    def retry(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (ids := numbers(action.get("value"), 1)) is not None:
            ctx.later(
                trainer.retry,
                attempt_id=ids[0],
                user_id=body["user"]["id"],
                respond=respond,
                where=_where(body),
            )
