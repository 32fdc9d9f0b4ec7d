"""`/feedback`, its form, the run's "Feedback on this step" button and the handling buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack.context import SlackContext, reply
from bot.slack.feedback import blocks
from bot.slack.feedback.desk import FeedbackDesk
from bot.slack.feedback.inbox import FeedbackInbox
from bot.slack.guard.unavailable import modal_answer
from bot.slack.ids import Action, View
from bot.slack.payload import number, sender

HELP_WORDS = frozenset({"help", "?", "-h", "--help"})
STATUS_OF = {
    Action.FEEDBACK_ACKNOWLEDGE: "acknowledged",
    Action.FEEDBACK_RESOLVE: "resolved",
    Action.FEEDBACK_WONT_FIX: "wont_fix",
}


def register(app: App, ctx: SlackContext) -> None:
    """Attach the feedback command, form, options and buttons."""
    desk, inbox = FeedbackDesk(ctx), FeedbackInbox(ctx)
    # Modal submissions answer in their ack: their Slack calls must fail fast, not retry.
    on_ack = ctx.on_ack_path()
    ack_desk, ack_inbox = FeedbackDesk(on_ack), FeedbackInbox(on_ack)

    @app.command("/feedback")
    def feedback_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        ctx.later(answer_feedback, ctx, desk, inbox, command, respond=respond)

    @app.options(Action.FEEDBACK_SOP)
    def sop_options(ack: Ack, payload: dict[str, Any]) -> None:
        ack(options=desk.sop_options(str(payload.get("value") or ""), caller=sender(payload)))

    @app.action(Action.FEEDBACK_SOP)
    def sop_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        slug = (action.get("selected_option") or {}).get("value")
        if slug and body.get("view"):
            ctx.later(desk.switch_sop, view=body["view"], slug=slug, caller=sender(body))

    @app.view(View.FEEDBACK)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        # The ack carries the answer (errors under the fields, or thanks), so work comes first.
        ack(**modal_answer(view, lambda: ack_desk.submit(view=view, caller=sender(body))))

    @app.action(Action.STEP_FEEDBACK)
    def from_run(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        run, _, step = str(action.get("value", "")).partition(":")
        run_id, step_number = number(run), number(step)
        if run_id is not None and step_number is not None:
            ctx.later(
                desk.from_run,
                run_id=run_id,
                step=step_number,
                trigger_id=body["trigger_id"],
                caller=sender(body),
                respond=respond,
            )

    @app.action(Action.FEEDBACK_UNDO)
    def undo(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (feedback_id := number(action.get("value"))) is not None:
            ctx.later(
                desk.undo, feedback_id=feedback_id, user_id=body["user"]["id"], respond=respond
            )

    @app.action(Action.FEEDBACK_ACKNOWLEDGE)
    @app.action(Action.FEEDBACK_RESOLVE)
    @app.action(Action.FEEDBACK_WONT_FIX)
    def handle(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (feedback_id := number(action.get("value"))) is not None:
            ctx.later(
                inbox.press,
                feedback_id=feedback_id,
                user_id=body["user"]["id"],
                status=STATUS_OF[Action(action["action_id"])],
                trigger_id=body["trigger_id"],
                respond=respond,
            )

    @app.view(View.FEEDBACK_CLOSE)
    def closed(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ack(**modal_answer(view, lambda: ack_inbox.close(view=view, user_id=body["user"]["id"])))


def answer_feedback(
    ctx: SlackContext,
    desk: FeedbackDesk,
    inbox: FeedbackInbox,
    command: dict[str, Any],
    *,
    respond: Respond,
) -> None:
    """Route `/feedback TEXT` to help, the list, the form or the one-line path."""
    text, user_id = command.get("text", "").strip(), command["user_id"]
    first, _, rest = text.partition(" ")
    if first.lower() in HELP_WORDS:
        reply(respond, blocks.help_message())
    elif first.lower() == "list":
        inbox.listing(user_id=user_id, query=rest.strip(), respond=respond)
    elif not text:
        viewer = ctx.access.viewer(sender(command))
        desk.open_form(trigger_id=command["trigger_id"], form=desk.form(viewer=viewer))
    else:
        viewer = ctx.access.viewer(sender(command))
        desk.one_line(text=text, viewer=viewer, trigger_id=command["trigger_id"], respond=respond)
