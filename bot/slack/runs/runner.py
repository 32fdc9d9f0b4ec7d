"""Shows runs in Slack: stores each state change first, then posts or updates the messages."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.core.mrkdwn import escape
from bot.services import runs
from bot.services.runs import Move, RunState
from bot.slack.authz import may_handle_sop
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.kit.notices import none_to_open, notice, plain_notice
from bot.slack.payload import Caller
from bot.slack.runs import blocks as run_blocks
from bot.slack.runs.handoff_blocks import handoff_refusal
from bot.slack.runs.handoffs import HandoffDesk
from bot.slack.runs.messages import RunMessages

log = logging.getLogger(__name__)


class Runner:
    """Carries out one run button or command for one person."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx, self.runtime, self.client, self.access = ctx, ctx.runtime, ctx.client, ctx.access
        self.messages = RunMessages(runtime=ctx.runtime, client=ctx.client)
        self.handoffs = HandoffDesk(ctx, self.messages)

    def allowed(
        self,
        caller: Caller,
        respond: Respond,
        *,
        run_id: int | None = None,
        visit_id: int | None = None,
    ) -> bool:
        """Whether the person may still see the run's SOP; says no if not (values can be forged)."""
        viewer = self.access.viewer(caller)
        if self.access.sees_all(viewer):
            return True
        with self.runtime.database.session() as session:
            if visit_id is not None:
                slug = runs.slug_of_visit(session, visit_id=visit_id)
            else:
                slug = runs.slug_of_run(session, run_id=run_id or 0)
        # No such run: the move itself says so, without naming anything.
        if slug is None or self.access.may_open(viewer, slug):
            return True
        reply(respond, none_to_open())
        return False

    def start(self, *, slug: str, caller: Caller, channel_id: str, respond: Respond) -> None:
        """Start a run of the SOP's current revision, in the channel or else in a DM."""
        if not self.access.may_open(self.access.viewer(caller), slug):
            reply(respond, none_to_open())
            return
        runtime, user_id = self.runtime, caller.user_id
        with runtime.database.session() as session:
            record = runtime.live_sop(session, slug)
            if record is None:
                reply(
                    respond,
                    plain_notice(f"The SOP {slug} is no longer published. Try /sop list."),
                )
                return
            state, visit_id = runs.start_run(
                session,
                record=record,
                user_id=user_id,
                channel_id=channel_id,
                now=runtime.clock(),
            )
        channel, ts = self.messages.post_parent(
            channel_id, user_id, self.messages.parent(state, "active")
        )
        if channel_id and channel != channel_id:
            reply(
                respond,
                plain_notice(
                    f"I can't post in this conversation, so I started {state.sop.title} "
                    "in our direct messages."
                ),
            )
        with runtime.database.session() as session:
            runs.attach_thread(session, run_id=state.run_id, channel_id=channel, thread_ts=ts)
        self.messages.post_step(state, visit_id, channel=channel, thread_ts=ts)

    def _refuse(self, move: Move, respond: Respond) -> bool:
        """Answer a press that must change nothing; True when the press is done with."""
        if move.verdict == "not_owner" and move.run is not None:
            reply(respond, run_blocks.not_your_run(owner_id=move.run.user_id, slug=move.run.slug))
        elif move.verdict in ("not_assignee", "waiting") and move.run is not None:
            reply(respond, handoff_refusal(move.run))
        elif move.verdict == "missing":
            reply(respond, plain_notice("That run no longer exists."))
        # "stale" (double click, Slack retry, old button) is answered with silence on purpose.
        return move.verdict != "ok"

    def _close_pressed(
        self,
        move: Move,
        respond: Respond,
        message_ts: str | None,
        closed: Callable[[RunState, int], dict],
    ) -> RunState | None:
        """Answer a press that changes nothing (None), or show the left step as `closed` says."""
        if self._refuse(move, respond):
            return None
        state = move.run
        assert state is not None and move.closed_step is not None
        # The pressed message is the one to close; the stored ts may not be saved yet when
        # someone clicks within milliseconds of the step appearing.
        self.messages.replace(state, message_ts or move.closed_ts, closed(state, move.closed_step))
        return state

    def done(
        self, *, visit_id: int, caller: Caller, respond: Respond, message_ts: str | None = None
    ) -> None:
        """Mark the step done, then show the next one or finish the run."""
        if not self.allowed(caller, respond, visit_id=visit_id):
            return
        user_id = caller.user_id
        with self.runtime.database.session() as session:
            move = runs.complete_step(
                session, visit_id=visit_id, user_id=user_id, now=self.runtime.clock()
            )
        state = self._close_pressed(
            move,
            respond,
            message_ts,
            lambda state, number: run_blocks.step_done(
                sop=state.sop, step_number=number, user_id=user_id, seconds=move.seconds_on_step
            ),
        )
        if state is None:
            return
        if move.next_visit_id is not None:
            ts = self.messages.post_step(
                state, move.next_visit_id, channel=state.channel_id, thread_ts=state.thread_ts
            )
            if state.waiting:
                self.handoffs.announce(state, move.next_visit_id, ts)
            return
        minutes = ((state.finished_at or state.started_at) - state.started_at).total_seconds() / 60
        self.messages.replace(
            state, state.thread_ts, self.messages.parent(state, "completed", minutes=minutes)
        )
        self.client.chat_postMessage(
            channel=state.channel_id,
            thread_ts=state.thread_ts,
            **run_blocks.run_summary(
                title=state.sop.title,
                revision=state.revision,
                step_count=state.step_count,
                minutes=minutes,
                outcome_md=state.sop.outcome,
            ),
        )

    def back(
        self, *, visit_id: int, caller: Caller, respond: Respond, message_ts: str | None = None
    ) -> None:
        """Close the step and show the previous one again."""
        if not self.allowed(caller, respond, visit_id=visit_id):
            return
        user_id = caller.user_id
        with self.runtime.database.session() as session:
            move = runs.go_back(
                session, visit_id=visit_id, user_id=user_id, now=self.runtime.clock()
            )
        state = self._close_pressed(
            move,
            respond,
            message_ts,
            lambda state, number: run_blocks.step_closed(
                sop=state.sop, step_number=number, note=f"↩️ Went back to step {state.current_step}"
            ),
        )
        if state is None:
            return
        self.messages.post_step(
            state, move.next_visit_id, channel=state.channel_id, thread_ts=state.thread_ts
        )

    def stop(
        self,
        *,
        run_id: int,
        caller: Caller,
        respond: Respond,
        reason: str = "stopped",
        message_ts: str | None = None,
    ) -> Move:
        """End the run as abandoned and say so on the step and the parent message."""
        if not self.allowed(caller, respond, run_id=run_id):
            return Move("missing")
        with self.runtime.database.session() as session:
            found = runs.get_run(session, run_id=run_id)
        # Managers of the SOP may stop anyone's run (asked of Slack only when it is not theirs).
        manager = (
            found is not None
            and found.user_id != caller.user_id
            and may_handle_sop(self.ctx, caller.user_id, found.sop.owner, slug=found.slug)
        )
        with self.runtime.database.session() as session:
            move = runs.stop_run(
                session,
                run_id=run_id,
                user_id=caller.user_id,
                now=self.runtime.clock(),
                outcome=reason,
                manager=manager,
            )
        if self._refuse(move, respond):
            return move
        state = move.run
        assert state is not None
        if found is not None and found.waiting:
            self.handoffs.withdraw(found)
        if move.closed_step is not None:
            self.messages.replace(
                state,
                message_ts or move.closed_ts,
                run_blocks.step_closed(
                    sop=state.sop, step_number=move.closed_step, note="⏹ Run stopped"
                ),
            )
        self.messages.replace(
            state,
            state.thread_ts,
            self.messages.parent(state, "abandoned", stopped_at=state.current_step),
        )
        return move

    def resume(self, *, run_id: int, caller: Caller, respond: Respond) -> None:
        """Post the current step of an unfinished run again at the end of its thread."""
        if not self.allowed(caller, respond, run_id=run_id):
            return
        with self.runtime.database.session() as session:
            move = runs.continue_run(
                session, run_id=run_id, user_id=caller.user_id, now=self.runtime.clock()
            )
        if move.verdict == "stale":
            reply(respond, plain_notice("That run has already ended."))
            return
        if self._refuse(move, respond):
            return
        state = move.run
        assert state is not None and move.next_visit_id is not None
        if move.closed_step is not None:
            self.messages.replace(
                state,
                move.closed_ts,
                run_blocks.step_closed(
                    sop=state.sop, step_number=move.closed_step, note="⏭ Continued below"
                ),
            )
        self.messages.post_step(
            state, move.next_visit_id, channel=state.channel_id, thread_ts=state.thread_ts
        )
        reply(
            respond,
            notice(
                f"Step {state.current_step} of *{escape(state.sop.title)}* is waiting "
                f"for you in the run's thread in <#{state.channel_id}>."
            ),
            replace=True,
        )

    def restart(self, *, run_id: int, caller: Caller, respond: Respond) -> None:
        """Abandon a run pinned to an old revision and start the SOP again on the current one."""
        move = self.stop(run_id=run_id, caller=caller, respond=respond, reason="restarted")
        if move.verdict == "ok" and move.run is not None:
            self.start(
                slug=move.run.slug, caller=caller, channel_id=move.run.channel_id, respond=respond
            )
