"""`/sop record`, the message events of its thread and its buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack.context import SlackContext
from bot.slack.ids import Action
from bot.slack.payload import number, sender
from bot.slack.recording.flow import Recorder
from bot.slack.recording.publishing import Publisher, Thread

BUTTONS = {
    Action.RECORD_UNDO: "undo",
    Action.RECORD_DISCARD: "discard",
    Action.RECORD_FINISH: "finish",
}


def answer_record(ctx: SlackContext, command: dict[str, Any], text: str, respond: Respond) -> None:
    """`/sop record TITLE` (routed by /sop)."""
    Recorder(ctx).command(
        user_id=sender(command).user_id,
        channel_id=command["channel_id"],
        text=text,
        respond=respond,
    )


def thread_of(body: dict[str, Any]) -> Thread:
    """The thread a button sits in: the message's own thread, or the message itself."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    ts = message.get("ts")
    return Thread(
        channel=str(channel),
        ts=str(message.get("thread_ts") or ts),
        message_ts=str(ts) if ts else None,
    )


def _button(ctx: SlackContext, work: Any) -> Any:
    """A listener that acks, then hands the recording, person and thread to `work`."""

    def pressed(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (recording_id := number(action.get("value"))) is not None:
            ctx.later(
                work,
                recording_id=recording_id,
                user_id=body["user"]["id"],
                thread=thread_of(body),
                respond=respond,
            )

    return pressed


def register(app: App, ctx: SlackContext) -> None:
    """Attach the message listener and the recording's buttons."""
    recorder = Recorder(ctx)

    @app.event("message")
    def message(event: dict[str, Any]) -> None:
        # Only messages in a recording's thread get here (bot/slack/app.py drops the rest).
        ctx.later(recorder.heard, event)

    for action_id, method in BUTTONS.items():
        app.action(action_id)(_button(ctx, getattr(recorder, method)))
    app.action(Action.RECORD_PUBLISH)(_button(ctx, Publisher(ctx).publish))

    @app.action(Action.RECORD_DOWNLOAD)
    def download(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (recording_id := number(action.get("value"))) is not None:
            ctx.later(
                recorder.download,
                recording_id=recording_id,
                thread=thread_of(body),
                respond=respond,
            )
