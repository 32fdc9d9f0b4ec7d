"""Taking a training quiz: attempts, one stored answer per question, scores and passes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.core import quiz
from bot.core.diff import RevisionDiff
from bot.core.model import Sop
from bot.db.events import append_event
from bot.db.training import (
    ATTEMPT_FAILED,
    ATTEMPT_OPEN,
    ATTEMPT_PASSED,
    CURRENT,
    SUPERSEDED,
    WITHDRAWN,
    Assignment,
    QuizAnswer,
    QuizAttempt,
    cancel_reminders,
)

Verdict = Literal["ok", "not_yours", "superseded", "withdrawn", "stale", "missing", "done", "empty"]


@dataclass(frozen=True)
class Answered:
    """The question just answered, what was chosen, and whether it was right."""

    question: quiz.Asked
    chosen: tuple[int, ...]
    right: bool


@dataclass(frozen=True)
class QuizView:
    """An attempt as the Slack layer shows it, or why the press was refused."""

    verdict: Verdict
    user_id: str = ""
    assignment_id: int = 0
    slug: str = ""
    title: str = ""
    revision: int = 0
    pass_mark: int = 0
    attempt_id: int = 0
    attempt_number: int = 0
    questions: tuple[quiz.Asked, ...] = ()
    position: int = 0  # the next question to answer
    results: tuple[bool, ...] = ()
    answered: Answered | None = None
    score: int | None = None
    passed: bool | None = None
    review: tuple[tuple[int, str], ...] = ()  # (step number, title) to read again after a fail

    @property
    def finished(self) -> bool:
        """Every question of the attempt is answered."""
        return self.position >= len(self.questions)


def _refusal(session: Session, assignment: Assignment | None, user_id: str) -> QuizView | None:
    if assignment is None:
        return QuizView("missing")
    if assignment.user_id != user_id:
        return QuizView("not_yours", user_id=assignment.user_id)
    if assignment.status == SUPERSEDED:
        return _view(session, assignment, None, verdict="superseded")
    if assignment.status == WITHDRAWN:
        return _view(session, assignment, None, verdict="withdrawn")
    return None


def start_quiz(
    session: Session,
    *,
    assignment_id: int,
    user_id: str,
    now: datetime,
    seed: int,
    message: tuple[str, str] | None = None,
) -> QuizView:
    """Open a first attempt, or show the open one where it stands; refuse others' presses."""
    # The row lock makes two quick presses of Start (PostgreSQL) open one attempt, not two.
    assignment = session.get(Assignment, assignment_id, with_for_update=True)
    refused = _refusal(session, assignment, user_id)
    if refused is not None:
        return refused
    assert assignment is not None
    if message is not None:
        assignment.dm_channel, assignment.dm_ts = message
    if assignment.status == CURRENT:
        return _view(session, assignment, _latest_attempt(session, assignment), verdict="done")
    attempt = _latest_attempt(session, assignment)
    if attempt is None:
        attempt = _new_attempt(session, assignment, now=now, seed=seed)
    # An open attempt is shown where it stands; a failed one shows its result and Try again.
    return _finish_if_empty(session, assignment, attempt, now=now)


def retry_quiz(
    session: Session, *, attempt_id: int, user_id: str, now: datetime, seed: int
) -> QuizView:
    """A fresh, reshuffled attempt after a failed one; pressing the same button again is stale."""
    previous = session.get(QuizAttempt, attempt_id)
    assignment = (
        session.get(Assignment, previous.assignment_id, with_for_update=True)
        if previous is not None
        else None
    )
    refused = _refusal(session, assignment, user_id)
    if refused is not None:
        return refused
    assert previous is not None and assignment is not None
    latest = _latest_attempt(session, assignment)
    if assignment.status == CURRENT or latest is None or latest.id != previous.id:
        return _view(session, assignment, latest, verdict="stale")
    if previous.status != ATTEMPT_FAILED:
        return _view(session, assignment, latest, verdict="stale")
    attempt = _new_attempt(session, assignment, now=now, seed=seed)
    return _finish_if_empty(session, assignment, attempt, now=now)


def answer_question(
    session: Session,
    *,
    attempt_id: int,
    position: int,
    chosen: Sequence[int],
    user_id: str,
    now: datetime,
) -> QuizView:
    """Record one answer, exactly once, and finish the attempt after the last question."""
    attempt = session.get(QuizAttempt, attempt_id)
    assignment = attempt.assignment if attempt is not None else None
    refused = _refusal(session, assignment, user_id)
    if refused is not None:
        return refused
    assert attempt is not None and assignment is not None
    if attempt.status != ATTEMPT_OPEN or attempt.position != position:
        return _view(session, assignment, attempt, verdict="stale")
    if not chosen:  # Submit with no box ticked: say so rather than count it wrong
        return _view(session, assignment, attempt, verdict="empty")
    # Only one transaction can move the attempt past this question: a double click, a Slack
    # retry or an old message's button finds the position already moved and changes nothing.
    moved = session.execute(
        update(QuizAttempt)
        .where(
            QuizAttempt.id == attempt.id,
            QuizAttempt.position == position,
            QuizAttempt.status == ATTEMPT_OPEN,
        )
        .values(position=position + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        session.refresh(attempt)
        return _view(session, assignment, attempt, verdict="stale")
    session.refresh(attempt)
    asked = quiz.Asked.from_dict(attempt.questions[position])
    picked = tuple(sorted({i for i in chosen if 0 <= i < len(asked.options)}))
    right = quiz.grade(asked, picked)
    session.add(
        QuizAnswer(
            attempt_id=attempt.id,
            position=position,
            chosen=list(picked),
            correct=right,
            answered_at=now,
        )
    )
    attempt.correct += int(right)
    if attempt.position >= len(attempt.questions):
        _finish(session, assignment, attempt, now=now)
    return _view(session, assignment, attempt, answered=Answered(asked, picked, right))


def _latest_attempt(session: Session, assignment: Assignment) -> QuizAttempt | None:
    return session.scalars(
        select(QuizAttempt)
        .where(QuizAttempt.assignment_id == assignment.id)
        .order_by(QuizAttempt.number.desc())
        .limit(1)
    ).first()


def _new_attempt(
    session: Session, assignment: Assignment, *, now: datetime, seed: int
) -> QuizAttempt:
    revision = assignment.revision
    questions = quiz.build_attempt(
        Sop.from_dict(revision.content),
        RevisionDiff.from_dict(revision.diff),
        first=revision.number == 1,
        seed=seed,
    )
    number = (
        session.scalar(
            select(func.coalesce(func.max(QuizAttempt.number), 0)).where(
                QuizAttempt.assignment_id == assignment.id
            )
        )
        or 0
    ) + 1
    attempt = QuizAttempt(
        assignment_id=assignment.id,
        number=number,
        seed=seed,
        questions=[q.to_dict() for q in questions],
        position=0,
        correct=0,
        status=ATTEMPT_OPEN,
        started_at=now,
    )
    session.add(attempt)
    assignment.attempts = number
    session.flush()
    return attempt


def _finish_if_empty(
    session: Session, assignment: Assignment, attempt: QuizAttempt, *, now: datetime
) -> QuizView:
    # An SOP too small to ask anything about (one step, no quiz) is passed by reading it.
    if not attempt.questions and attempt.status == ATTEMPT_OPEN:
        _finish(session, assignment, attempt, now=now)
    return _view(session, assignment, attempt)


def _finish(session: Session, assignment: Assignment, attempt: QuizAttempt, *, now: datetime):
    sop = Sop.from_dict(assignment.revision.content)
    percent = quiz.score(attempt.correct, len(attempt.questions))
    ok = quiz.passed(percent, sop.pass_mark)
    attempt.status = ATTEMPT_PASSED if ok else ATTEMPT_FAILED
    attempt.score, attempt.finished_at = percent, now
    assignment.score = percent
    if ok:
        assignment.status, assignment.passed_at = CURRENT, now
        # A reminder deferred to the person's morning must not arrive after they passed.
        cancel_reminders(session, assignment_ids=[assignment.id])
    append_event(
        session,
        workspace_id=assignment.workspace_id,
        at=now,
        kind="training_passed" if ok else "training_failed",
        user_id=assignment.user_id,
        sop_id=assignment.sop_id,
        revision_id=assignment.revision_id,
        data={"score": percent, "attempt": attempt.number},
    )


def _results(session: Session, attempt: QuizAttempt) -> tuple[bool, ...]:
    return tuple(
        session.scalars(
            select(QuizAnswer.correct)
            .where(QuizAnswer.attempt_id == attempt.id)
            .order_by(QuizAnswer.position)
        )
    )


def _view(
    session: Session,
    assignment: Assignment,
    attempt: QuizAttempt | None,
    *,
    verdict: Verdict = "ok",
    answered: Answered | None = None,
) -> QuizView:
    sop = Sop.from_dict(assignment.revision.content)
    questions = tuple(quiz.Asked.from_dict(q) for q in attempt.questions) if attempt else ()
    results = _results(session, attempt) if attempt is not None else ()
    finished = attempt is not None and attempt.status in (ATTEMPT_PASSED, ATTEMPT_FAILED)
    review = quiz.steps_to_review(questions, results) if finished else ()
    return QuizView(
        verdict=verdict,
        user_id=assignment.user_id,
        assignment_id=assignment.id,
        slug=assignment.sop.slug,
        title=sop.title,
        revision=assignment.revision.number,
        pass_mark=sop.pass_mark,
        attempt_id=attempt.id if attempt else 0,
        attempt_number=attempt.number if attempt else 0,
        questions=questions,
        position=attempt.position if attempt else 0,
        results=results,
        answered=answered,
        score=attempt.score if attempt else None,
        passed=attempt.status == ATTEMPT_PASSED if finished and attempt else None,
        review=tuple((n, sop.step(n).title) for n in review if n <= len(sop.steps)),
    )


def attach_message(session: Session, *, assignment_id: int, channel: str, ts: str) -> None:
    """Remember the DM message a quiz runs in (for the record; presses carry their own)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is not None:
        assignment.dm_channel, assignment.dm_ts = channel, ts
