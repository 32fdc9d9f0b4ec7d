"""Run buttons: start, walk through, continue, done, back, stop, restart on a newer revision."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from bot.core.frontmatter import USER_ID_RE
from bot.services.runs import unfinished_runs
from bot.slack.context import SlackContext
from bot.slack.ids import Action
from bot.slack.payload import channel_of, number, pressed_ts, sender
from bot.slack.runs.runner import Runner
from bot.slack.runs.taker import take_run


def register(app: App, ctx: SlackContext) -> None:
    """Attach the run buttons."""
    runner = Runner(ctx)

    @app.action(Action.START_SOP)
    @app.action(Action.START_OVER)
    def start(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        ctx.later(start_sop, ctx, runner, body, action, respond=respond)

    @app.action(Action.WALK_THROUGH)
    def walk(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        # The training DM's "Walk me through it": a run of the SOP in the person's DM.
        ack()
        slug, caller = action.get("value", ""), sender(body)
        ctx.later(runner.start, slug=slug, caller=caller, channel_id="", respond=respond)

    @app.action(Action.STEP_DONE)
    def done(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (visit_id := number(action.get("value"))) is not None:
            ctx.later(
                runner.done,
                visit_id=visit_id,
                caller=sender(body),
                respond=respond,
                message_ts=pressed_ts(body),
            )

    @app.action(Action.STEP_BACK)
    def back(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (visit_id := number(action.get("value"))) is not None:
            ctx.later(
                runner.back,
                visit_id=visit_id,
                caller=sender(body),
                respond=respond,
                message_ts=pressed_ts(body),
            )

    @app.action(Action.STOP_RUN)
    def stop(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (run_id := number(action.get("value"))) is not None:
            ctx.later(
                runner.stop,
                run_id=run_id,
                caller=sender(body),
                respond=respond,
                message_ts=pressed_ts(body),
            )

    @app.action(Action.CONTINUE_RUN)
    def resume(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (run_id := number(action.get("value"))) is not None:
            ctx.later(runner.resume, run_id=run_id, caller=sender(body), respond=respond)

    @app.action(Action.TAKE_STEP)
    def take(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (visit_id := number(action.get("value"))) is not None:
            ctx.later(runner.handoffs.take, visit_id=visit_id, caller=sender(body), respond=respond)

    @app.action(Action.HAND_TO)
    @app.action(Action.REASSIGN)
    def pick(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        prefix, _, raw = str(action.get("block_id", "")).partition("-")
        visit_id, target = number(raw), action.get("selected_user") or ""
        if visit_id is None or not USER_ID_RE.match(target):
            return
        work = runner.handoffs.hand_to if prefix == "hand" else runner.handoffs.reassign
        ctx.later(work, visit_id=visit_id, caller=sender(body), target=target, respond=respond)

    @app.action(Action.RESTART_ON_NEW)
    def restart(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        if (run_id := number(action.get("value"))) is not None:
            ctx.later(runner.restart, run_id=run_id, caller=sender(body), respond=respond)

    @app.action(Action.TAKE_RUN)
    def take_scheduled(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        if (scheduled_id := number(action.get("value"))) is not None:
            ctx.later(
                take_run,
                ctx,
                scheduled_id=scheduled_id,
                caller=sender(body),
                channel_id=channel_of(body),
                message_ts=pressed_ts(body),
                respond=respond,
            )


def start_sop(
    ctx: SlackContext,
    runner: Runner,
    body: dict[str, Any],
    action: dict[str, Any],
    *,
    respond: Respond,
) -> None:
    """Start (or, for Start over, restart) the SOP named by the button."""
    caller, slug = sender(body), action.get("value", "")
    if action["action_id"] == Action.START_OVER:
        with ctx.runtime.database.session() as session:
            stale = [r for r in unfinished_runs(session, user_id=caller.user_id) if r.slug == slug]
        for old in stale:
            runner.stop(run_id=old.run_id, caller=caller, respond=respond, reason="started over")
    if body["container"].get("is_ephemeral") and respond.response_url:
        respond({"delete_original": True})
    runner.start(slug=slug, caller=caller, channel_id=channel_of(body), respond=respond)
