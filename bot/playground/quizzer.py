"""The history's people taking a quiz as in Slack: from the invitation DM, which shows the end."""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.db import outbox as outbox_store
from bot.db.training import Assignment
from bot.services import quizzes, training
from bot.slack.training import blocks as training_blocks

if TYPE_CHECKING:
    from bot.playground.wiring import Playground


class Quizzer:
    """Takes one assignment's quiz: right, or wrong on its hardest question (always the same)."""

    def __init__(self, play: Playground, rng: random.Random) -> None:
        self.play, self.rng = play, rng

    def take(
        self, session: Session, now: datetime, who: str, assignment_id: int, *, wrong: bool
    ) -> None:
        """Press Start quiz in the invitation DM, answer each question, leave the DM at its end."""
        where = self._invitation(session, assignment_id, who)
        view = quizzes.start_quiz(
            session, assignment_id=assignment_id, user_id=who, now=now,
            seed=self.rng.randrange(99), message=where,
        )  # fmt: skip
        if view.verdict == "ok" and view.passed is False:  # the last attempt failed: try again
            view = quizzes.retry_quiz(
                session, attempt_id=view.attempt_id, user_id=who, now=now,
                seed=self.rng.randrange(99),
            )  # fmt: skip
        hardest = min(q.text for q in view.questions) if view.questions else ""
        for position in range(view.position, len(view.questions)):
            asked = view.questions[position]
            chosen = list(asked.correct)
            if wrong and asked.text == hardest:  # always the same question, in any order
                chosen = [next(i for i in range(len(asked.options)) if i not in asked.correct)]
            now = self.play.clock.advance(self.rng.uniform(15, 60))
            view = quizzes.answer_question(
                session, attempt_id=view.attempt_id, position=position, chosen=chosen,
                user_id=who, now=now,
            )  # fmt: skip
        if where is not None and view.verdict == "ok":
            # In Slack each press updates the DM; the last update is the one still on screen.
            self.play.job.client.chat_update(
                channel=where[0], ts=where[1], **training_blocks.quiz_message(view)
            )

    def _invitation(self, session: Session, assignment_id: int, who: str) -> tuple[str, str] | None:
        """Where the DM inviting `who` to the quiz is, if it went out: the message pressed."""
        assignment = session.get(Assignment, assignment_id)
        assert assignment is not None
        if assignment.dm_channel and assignment.dm_ts:  # pressed before (a second attempt)
            return assignment.dm_channel, assignment.dm_ts
        key = training.invitation_key(revision_id=assignment.revision_id, user_id=who)
        return outbox_store.sent_message(session, key=key)
