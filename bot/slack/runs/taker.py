"""Take this run: the first eligible person to press it starts the scheduled run in its thread."""

from __future__ import annotations

from bot.services import runs, scheduled_runs
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.kit.notices import plain_notice
from bot.slack.payload import Caller
from bot.slack.runs import schedule_blocks
from bot.slack.runs.messages import RunMessages


def take_run(
    ctx: SlackContext,
    *,
    scheduled_id: int,
    caller: Caller,
    channel_id: str,
    message_ts: str | None,
    respond: Respond,
) -> None:
    """Start the scheduled run for the caller, or say who has it / why they may not."""
    runtime = ctx.runtime
    with runtime.database.session() as session:
        found = scheduled_runs.scheduled_info(session, scheduled_id=scheduled_id)
        row_channel = found[0].channel_id if found else None
        sop = found[1] if found else None
    if sop is None or message_ts is None or row_channel != channel_id:
        reply(respond, plain_notice("That scheduled run no longer exists."))
        return
    with runtime.database.session() as session:
        allowed = scheduled_runs.may_take_run(
            session, ctx.people, sop=sop, channel_id=channel_id, user_id=caller.user_id
        )
    if not allowed:
        cast_roles = {role.lower() for role, _ in sop.cast}
        first = sop.steps[0].role if sop.steps else None
        role = first if first and first.lower() in cast_roles else None
        reply(respond, schedule_blocks.not_for_you(channel_id=channel_id, role=role))
        return
    try:
        with runtime.database.session() as session:
            taken = scheduled_runs.take(
                session,
                scheduled_id=scheduled_id,
                user_id=caller.user_id,
                thread=(channel_id, message_ts),
                now=runtime.clock(),
                default_tz=runtime.settings.digest_tz,
            )
    except scheduled_runs.TakenMeanwhile:
        with runtime.database.session() as session:
            taken = scheduled_runs.take(
                session, scheduled_id=scheduled_id, user_id=caller.user_id,
                thread=(channel_id, message_ts), now=runtime.clock(),
                default_tz=runtime.settings.digest_tz,
            )  # fmt: skip
    if taken.verdict == "taken":
        if taken.taken_by != caller.user_id:
            reply(respond, schedule_blocks.taken_already(user_id=taken.taken_by))
        return
    if taken.verdict != "ok":
        reply(respond, plain_notice(f"The scheduled run of {sop.title} is closed."))
        return
    assert taken.run_id is not None and taken.visit_id is not None
    ctx.client.chat_update(
        channel=channel_id,
        ts=message_ts,
        **schedule_blocks.scheduled_taken(
            title=taken.title, due_local=taken.due_local, user_id=caller.user_id
        ),
    )
    with runtime.database.session() as session:
        state = runs.get_run(session, run_id=taken.run_id)
    assert state is not None
    RunMessages(runtime=runtime, client=ctx.client).post_step(
        state, taken.visit_id, channel=channel_id, thread_ts=message_ts
    )
