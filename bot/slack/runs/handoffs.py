"""Hand-offs in Slack: announce a waiting step, take it, hand it to someone, reassign it."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.cast import entries_of
from bot.core.frontmatter import CHANNEL_RE
from bot.core.mrkdwn import escape
from bot.services import handoffs, runs
from bot.services.handoffs import Handoff
from bot.services.runs import RunState
from bot.slack.authz import may_handle_sop
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.kit.blocks import bold, mention
from bot.slack.payload import Caller
from bot.slack.runs import handoff_blocks
from bot.slack.runs.messages import RunMessages

log = logging.getLogger(__name__)


class HandoffDesk:
    """Carries out Take this step, Hand to… and Reassign for one press."""

    def __init__(self, ctx: SlackContext, messages: RunMessages) -> None:
        self.ctx, self.runtime, self.messages = ctx, ctx.runtime, messages

    def announce(self, state: RunState, visit_id: int, ts: str | None) -> None:
        """Tell the role's people (DMs, or one message in its cast channel) through the outbox."""
        role = state.step_role or ""
        permalink = None
        if ts is not None:
            try:
                answer = self.ctx.client.chat_getPermalink(channel=state.channel_id, message_ts=ts)
                permalink = answer.get("permalink")
            except SlackApiError as exc:
                log.warning("no permalink for run %s: %s", state.run_id, exc)
        channels = [
            found
            for entry in entries_of(state.sop.cast, role)
            if CHANNEL_RE.match(entry) and (found := self.ctx.people.channel_id(entry[1:]))
        ]
        message = handoff_blocks.handoff_notice(
            starter_id=state.user_id,
            role=role,
            step_number=state.current_step,
            title=state.sop.title,
            permalink=permalink,
        )
        with self.runtime.database.session() as session:
            catalog = self.runtime.catalog.snapshot(session)
            entry = catalog.get(state.slug)
            if entry is None or not runs.run_exists(session, run_id=state.run_id):
                return
            audience = handoffs.who_to_tell(
                session, sop_id=entry.record_id, role=role, channel_ids=channels, skip=set()
            )
            handoffs.queue_notices(
                session,
                visit_id=visit_id,
                workspace_id=catalog.workspace_id,
                audience=audience,
                message=message,
                now=self.runtime.clock(),
            )

    def withdraw(self, state: RunState) -> None:
        """The run stopped while its step waited: its notices say it is no longer needed."""
        if state.visit_id is None:
            return
        message = handoff_blocks.handoff_withdrawn(
            role=state.step_role or "", step_number=state.current_step, title=state.sop.title
        )
        self._update_notices(slug=state.slug, visit_id=state.visit_id, message=message)

    def _update_notices(self, *, slug: str, visit_id: int, message: dict[str, Any]) -> None:
        """Edit the hand-off notices of a waiting step in place (through the outbox)."""
        with self.runtime.database.session() as session:
            record = self.runtime.live_sop(session, slug)
            if record is not None:
                handoffs.update_notices(
                    session,
                    visit_id=visit_id,
                    workspace_id=record.workspace_id,
                    message=message,
                    now=self.runtime.clock(),
                )

    def take(
        self,
        *,
        visit_id: int,
        caller: Caller,
        respond: Respond,
        by: str | None = None,
        by_manager: bool = False,
    ) -> None:
        """Give the waiting step to `caller` (or, handed by `by`, to the person picked; by a
        manager, to anyone when the role's cast names nobody now)."""
        with self.runtime.database.session() as session:
            result = handoffs.take(
                session,
                visit_id=visit_id,
                user_id=caller.user_id,
                now=self.runtime.clock(),
                by=by,
                anyone_if_cast_empty=by_manager,
            )
        self._after(result, respond, handed=by is not None)

    def hand_to(self, *, visit_id: int, caller: Caller, target: str, respond: Respond) -> None:
        """The run's starter or a manager gives the waiting step to someone holding its role."""
        state = self._run_of(visit_id)
        if state is None:
            return
        manager = self._manages(caller, state)
        if caller.user_id != state.user_id and not manager:
            reply(
                respond,
                handoff_blocks.refusal("Only the run's starter or a manager can hand a step."),
            )
            return
        self.take(
            visit_id=visit_id,
            caller=Caller(target),
            respond=respond,
            by=caller.user_id,
            by_manager=manager,
        )

    def reassign(self, *, visit_id: int, caller: Caller, target: str, respond: Respond) -> None:
        """A manager gives an open step to someone else (holding its role, if it is cast)."""
        state = self._run_of(visit_id)
        if state is None:
            return
        if not self._manages(caller, state):
            reply(
                respond, handoff_blocks.refusal("Only a manager of this SOP can reassign a step.")
            )
            return
        with self.runtime.database.session() as session:
            result = handoffs.reassign(
                session,
                visit_id=visit_id,
                user_id=target,
                by=caller.user_id,
                now=self.runtime.clock(),
                sop=state.sop,
            )
        self._after(result, respond, handed=True, reassigned=result.previous_id is not None)

    def _run_of(self, visit_id: int) -> RunState | None:
        with self.runtime.database.session() as session:
            return runs.run_of_visit(session, visit_id=visit_id)

    def _manages(self, caller: Caller, state: RunState) -> bool:
        return may_handle_sop(self.ctx, caller.user_id, state.sop.owner, slug=state.slug)

    def _after(
        self, result: Handoff, respond: Respond, *, handed: bool, reassigned: bool = False
    ) -> None:
        """Show the outcome: the step posted for its new assignee, or why nothing changed."""
        if result.verdict != "ok":
            self._refuse(result, respond, handed=handed)
            return
        with self.runtime.database.session() as session:
            state = runs.get_run(session, run_id=result.run_id)
        assert state is not None and result.assignee_id is not None
        sop, n = state.sop, result.step_number
        closed = handoff_blocks.step_taken(
            sop=sop,
            step_number=n,
            role=result.role,
            user_id=result.assignee_id,
            reassigned=reassigned,
            cast_empty=result.cast_empty,
        )
        if not reassigned:
            taken = handoff_blocks.handoff_taken(
                role=result.role, step_number=n, title=sop.title, user_id=result.assignee_id
            )
            self._update_notices(slug=state.slug, visit_id=result.visit_id, message=taken)
        self.messages.replace(state, result.message_ts, closed)
        self.messages.post_step(
            state, result.visit_id, channel=state.channel_id, thread_ts=state.thread_ts or ""
        )

    @staticmethod
    def _refuse(result: Handoff, respond: Respond, *, handed: bool) -> None:
        role = bold(result.role or "this role", 100)
        if result.verdict == "not_cast" and result.cast_empty:
            text = (
                f"Nobody holds the {role} role of this SOP now: its `cast:` names no one sopbot "
                f"can find. A manager of this SOP can hand step {result.step_number} "
                "(*Hand to…*, or *Reassign…* once someone has it) to anyone until the cast is "
                "fixed."
            )
        elif result.verdict == "not_cast" and result.assignee_id:
            who = f"{mention(result.assignee_id)} does" if handed else "You do"
            text = (
                f"{who} not hold the {role} role of this SOP, so step {result.step_number} "
                "stays where it is. Pick someone of its cast."
            )
        elif result.verdict == "taken" and result.assignee_id:
            text = f"Step {result.step_number} is already {mention(result.assignee_id)}'s."
        elif result.verdict in ("ended", "missing"):
            text = "That step is no longer open."
        else:
            text = escape("That did not work; try again.")
        reply(respond, handoff_blocks.refusal(text))
