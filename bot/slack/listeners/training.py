"""Training: quiz buttons in the DM, `/sop training [SOP]`, and the Home tab's section."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.core.search import clear_winner
from bot.runtime import Runtime
from bot.services import training_records
from bot.services.catalog import Snapshot
from bot.slack.access import sender
from bot.slack.authz import is_manager
from bot.slack.blocks import lookup as lookup_blocks
from bot.slack.blocks import training_lists as lists
from bot.slack.blocks.training import choices_block_id
from bot.slack.ids import Action
from bot.slack.runner import Runner, reply
from bot.slack.trainer import Trainer, Where


def _ints(value: str | None, count: int) -> tuple[int, ...] | None:
    """`"12:3:1"` as numbers; anything forged or malformed is None."""
    parts = (value or "").split(":")
    if len(parts) != count or not all(p.isdigit() and len(p) < 19 for p in parts):
        return None
    return tuple(int(p) for p in parts)


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


def register(app: App, runtime: Runtime, runner: Runner) -> None:
    """Attach the training buttons."""
    trainer = Trainer(runtime=runtime, client=runner.client)

    @app.action(Action.START_QUIZ)
    def start(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (ids := _ints(action.get("value"), 1)) is not None:
            runner.later(
                trainer.start,
                assignment_id=ids[0],
                user_id=body["user"]["id"],
                respond=respond,
                where=_where(body),
            )

    @app.action(Action.QUIZ_ANSWER)
    def answer(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (ids := _ints(action.get("value"), 3)) is not None:
            attempt_id, position, option = ids
            runner.later(
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
        if (ids := _ints(action.get("value"), 2)) is not None:
            attempt_id, position = ids
            runner.later(
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
        if (ids := _ints(action.get("value"), 1)) is not None:
            runner.later(
                trainer.retry,
                attempt_id=ids[0],
                user_id=body["user"]["id"],
                respond=respond,
                where=_where(body),
            )

    @app.action(Action.WALK_THROUGH)
    def walk(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        runner.later(
            runner.start,
            slug=action.get("value", ""),
            caller=sender(body),
            channel_id="",
            respond=respond,
        )


def training_command(
    runtime: Runtime,
    client: WebClient,
    query: str,
    user_id: str,
    respond: Respond,
    *,
    snapshot: Snapshot,
) -> None:
    """`/sop training`: your own training; `/sop training SOP`: an SOP's, for managers.

    `snapshot` holds the SOPs the caller may see, so an outsider's query never names another.
    """
    with runtime.database.session() as session:
        if not query:
            open_rows, done = training_records.my_training(session, user_id=user_id)
            reply(respond, lists.my_training(open_rows=open_rows, done=done))
            return
        entry = snapshot.get(query.lower()) or (
            snapshot.get(winner.slug)
            if (winner := clear_winner(snapshot.index.search(query, limit=8)))
            else None
        )
        record = runtime.live_sop(session, entry.slug) if entry is not None else None
        owner = record.owner if record is not None else None
    if record is None:
        reply(
            respond,
            lookup_blocks.plain_notice(
                f"No SOP clearly matches “{query[:100]}”. Use its id, as in /sop list."
            ),
        )
        return
    if not is_manager(client, runtime, user_id, sop_owner=owner):
        reply(respond, lists.not_a_manager(record.slug))
        return
    with runtime.database.session() as session:
        report = training_records.sop_training(session, record=record)
    reply(respond, lists.sop_training(report))


def home_section(runtime: Runtime, user_id: str) -> list[dict[str, Any]]:
    """ "Your training" for the Home tab."""
    with runtime.database.session() as session:
        open_rows, done = training_records.my_training(session, user_id=user_id)
    return lists.home_section(open_rows=open_rows, done_count=len(done))
