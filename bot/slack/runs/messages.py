"""A run's messages: the parent in the channel (or a DM) and the steps in its thread."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.services import runs
from bot.services.runs import RunState
from bot.slack.runs import blocks as run_blocks
from bot.slack.runs import handoff_blocks

# Slack refuses the channel itself: the run moves to a DM instead of failing.
FALLBACK_ERRORS = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_dm_bot"}
)


class RunMessages:
    """Posts and updates a run's messages; the database remembers where they are."""

    def __init__(self, *, runtime: Runtime, client: WebClient) -> None:
        self.runtime, self.client = runtime, client

    def post_parent(self, channel_id: str, user_id: str, message: dict) -> tuple[str, str]:
        """Post the parent message in the channel, or in a DM when Slack refuses the channel."""
        if not channel_id:
            channel_id = self.client.conversations_open(users=user_id)["channel"]["id"]
        try:
            response = self.client.chat_postMessage(channel=channel_id, **message)
        except SlackApiError as exc:
            if exc.response.get("error") not in FALLBACK_ERRORS:
                raise
            dm = self.client.conversations_open(users=user_id)["channel"]["id"]
            response = self.client.chat_postMessage(channel=dm, **message)
        return response["channel"], response["ts"]

    def post_step(
        self, state: RunState, visit_id: int, *, channel: str, thread_ts: str
    ) -> str | None:
        """Post the run's current step in its thread and remember the message; returns its ts."""
        if state.waiting:
            messages = [
                handoff_blocks.step_waiting(
                    run_id=state.run_id,
                    visit_id=visit_id,
                    sop=state.sop,
                    step_number=state.current_step,
                    role=state.step_role or "",
                )
            ]
        else:
            messages = run_blocks.step_messages(
                run_id=state.run_id,
                visit_id=visit_id,
                sop=state.sop,
                step_number=state.current_step,
                revision=state.revision,
                newer_revision=state.newer_revision,
                feedback_button=True,
                assignee_id=state.assignee_id if state.sop.cast else None,
            )
        ts = None
        for message in messages:
            ts = self.client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)["ts"]
        with self.runtime.database.session() as session:
            runs.attach_message(session, visit_id=visit_id, message_ts=ts)
        return ts

    @staticmethod
    def parent(state: RunState, status: str, **details: float | int | None) -> dict:
        """The run's parent message in its current status."""
        return run_blocks.run_parent(
            title=state.sop.title,
            revision=state.revision,
            starter_id=state.user_id,
            step_count=state.step_count,
            outcome_md=state.sop.outcome,
            status=status,
            **details,
        )

    def replace(self, state: RunState, ts: str | None, message: dict) -> None:
        """Show `message` in place of the run's message `ts` (nothing without a ts)."""
        if ts is not None:
            self.client.chat_update(channel=state.channel_id, ts=ts, **message)
