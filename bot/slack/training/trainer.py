"""Shows training in Slack: stores each quiz press first, then updates the DM in place."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from bot.services import quizzes
from bot.services.quizzes import QuizView
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.training import blocks

Where = tuple[str, str]  # (channel, ts) of the message whose button was pressed


def new_seed() -> int:
    """An unguessable per-attempt shuffle seed (it is stored, never shown)."""
    return secrets.randbelow(2**31)


class Trainer:
    """Carries out one quiz button for one person."""

    def __init__(self, ctx: SlackContext) -> None:
        self.runtime, self.client = ctx.runtime, ctx.client

    def start(
        self, *, assignment_id: int, user_id: str, respond: Respond, where: Where | None
    ) -> None:
        """Open the quiz (or resume it) in the pressed DM message, or in a new DM from Home."""
        with self.runtime.database.session() as session:
            view = quizzes.start_quiz(
                session,
                assignment_id=assignment_id,
                user_id=user_id,
                now=self.runtime.clock(),
                seed=new_seed(),
                message=where,
            )
        self._show(view, respond, where)

    def answer(
        self,
        *,
        attempt_id: int,
        position: int,
        chosen: Sequence[int],
        user_id: str,
        respond: Respond,
        where: Where | None,
    ) -> None:
        """Record an answer; show right or wrong, then the next question or the result."""
        with self.runtime.database.session() as session:
            view = quizzes.answer_question(
                session,
                attempt_id=attempt_id,
                position=position,
                chosen=chosen,
                user_id=user_id,
                now=self.runtime.clock(),
            )
        self._show(view, respond, where)

    def retry(
        self, *, attempt_id: int, user_id: str, respond: Respond, where: Where | None
    ) -> None:
        """Start a new, reshuffled attempt after a fail."""
        with self.runtime.database.session() as session:
            view = quizzes.retry_quiz(
                session,
                attempt_id=attempt_id,
                user_id=user_id,
                now=self.runtime.clock(),
                seed=new_seed(),
            )
        self._show(view, respond, where)

    def _show(self, view: QuizView, respond: Respond, where: Where | None) -> None:
        if view.verdict != "ok":
            reply(respond, blocks.refusal(view))
            return
        message = blocks.quiz_message(view)
        if where is not None:
            self.client.chat_update(channel=where[0], ts=where[1], **message)
            return
        # Pressed on the Home tab: the quiz needs a message of its own to update, in the DM.
        dm = self.client.conversations_open(users=view.user_id)["channel"]["id"]
        posted = self.client.chat_postMessage(channel=dm, **message)
        with self.runtime.database.session() as session:
            quizzes.attach_message(
                session,
                assignment_id=view.assignment_id,
                channel=posted["channel"],
                ts=posted["ts"],
            )
