"""`/sop edit`, the editor modal and its buttons, and the buttons on routed feedback."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack.authoring.editor import StepEditor
from bot.slack.context import SlackContext
from bot.slack.guard.unavailable import modal_answer
from bot.slack.ids import Action, View
from bot.slack.payload import number, sender


def answer_edit(ctx: SlackContext, command: dict[str, Any], text: str, respond: Respond) -> None:
    """`/sop edit SOP [N]` (routed by /sop)."""
    StepEditor(ctx).command(
        user_id=sender(command).user_id,
        text=text,
        trigger_id=command["trigger_id"],
        respond=respond,
    )


def register(app: App, ctx: SlackContext) -> None:
    """Attach the editor's views and buttons."""
    editor, on_ack = StepEditor(ctx), StepEditor(ctx.on_ack_path())

    @app.view(View.EDIT_STEP)
    def saved(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        # The ack carries the answer (field errors, the conflict, or the diff).
        ack(**modal_answer(view, lambda: on_ack.submitted(view=view, user_id=body["user"]["id"])))

    @app.view(View.EDIT_PICK)
    def picked(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack(**modal_answer(view, lambda: on_ack.picked(view=view, user_id=body["user"]["id"])))

    @app.action(Action.EDIT_ADD_AFTER)
    def add_after(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        ctx.later(editor.add_after, view=body["view"], user_id=body["user"]["id"])

    @app.action(Action.EDIT_REMOVE)
    def remove(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        ctx.later(editor.removed, view=body["view"], user_id=body["user"]["id"])

    @app.action(Action.EDIT_ROLE)
    @app.action(Action.EDIT_PICK)
    def chosen(ack: Ack) -> None:
        ack()  # a choice inside a form; it counts when the form is submitted

    @app.action(Action.EDIT_STEP)
    @app.action(Action.EDIT_AND_ACCEPT)
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (feedback_id := number(action.get("value"))) is not None:
            ctx.later(
                editor.from_feedback,
                feedback_id=feedback_id,
                user_id=body["user"]["id"],
                trigger_id=body["trigger_id"],
                respond=respond,
                suggestion=action["action_id"] == Action.EDIT_AND_ACCEPT,
            )

    @app.action(Action.ACCEPT_SUGGESTION)
    def accept(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (feedback_id := number(action.get("value"))) is not None:
            ctx.later(
                editor.accept, feedback_id=feedback_id, user_id=body["user"]["id"], respond=respond
            )
