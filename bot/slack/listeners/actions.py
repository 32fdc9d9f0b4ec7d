"""Run buttons: start, continue, done, back, stop, restart on a newer revision."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.runtime import Runtime
from bot.services.runs import unfinished_runs
from bot.slack.access import sender
from bot.slack.ids import Action
from bot.slack.runner import Runner


def _number(value: str | None) -> int | None:
    """A button value as a positive ID; anything forged or malformed is None."""
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _channel(body: dict[str, Any]) -> str:
    """Where the button was pressed; empty for the App Home, where runs go to a DM."""
    return (body.get("channel") or {}).get("id") or body["container"].get("channel_id", "")


def _pressed(body: dict[str, Any]) -> str | None:
    """The ts of the (non-ephemeral) message whose button was pressed."""
    container = body.get("container") or {}
    return None if container.get("is_ephemeral") else container.get("message_ts")


def register(app: App, runtime: Runtime, runner: Runner) -> None:
    """Attach the run buttons."""

    @app.action(Action.START_SOP)
    @app.action(Action.START_OVER)
    def start(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        runner.later(start_sop, runtime, runner, body, action, respond=respond)

    @app.action(Action.STEP_DONE)
    def done(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (visit_id := _number(action.get("value"))) is not None:
            runner.later(
                runner.done,
                visit_id=visit_id,
                caller=sender(body),
                respond=respond,
                message_ts=_pressed(body),
            )

    @app.action(Action.STEP_BACK)
    def back(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (visit_id := _number(action.get("value"))) is not None:
            runner.later(
                runner.back,
                visit_id=visit_id,
                caller=sender(body),
                respond=respond,
                message_ts=_pressed(body),
            )

    @app.action(Action.STOP_RUN)
    def stop(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (run_id := _number(action.get("value"))) is not None:
            runner.later(
                runner.stop,
                run_id=run_id,
                caller=sender(body),
                respond=respond,
                message_ts=_pressed(body),
            )

    @app.action(Action.CONTINUE_RUN)
    def resume(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (run_id := _number(action.get("value"))) is not None:
            runner.later(runner.resume, run_id=run_id, caller=sender(body), respond=respond)

    @app.action(Action.RESTART_ON_NEW)
    def restart(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (run_id := _number(action.get("value"))) is not None:
            runner.later(runner.restart, run_id=run_id, caller=sender(body), respond=respond)


def start_sop(
    runtime: Runtime,
    runner: Runner,
    body: dict[str, Any],
    action: dict[str, Any],
    *,
    respond: Respond,
) -> None:
    """Start (or, for Start over, restart) the SOP named by the button."""
    caller, slug = sender(body), action.get("value", "")
    if action["action_id"] == Action.START_OVER:
        with runtime.database.session() as session:
            stale = [r for r in unfinished_runs(session, user_id=caller.user_id) if r.slug == slug]
        for old in stale:
            runner.stop(run_id=old.run_id, caller=caller, respond=respond, reason="started over")
    if body["container"].get("is_ephemeral") and respond.response_url:
        respond({"delete_original": True})
    runner.start(slug=slug, caller=caller, channel_id=_channel(body), respond=respond)
