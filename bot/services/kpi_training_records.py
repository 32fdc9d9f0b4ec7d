"""Training rows as KPI records: assignments, and first quiz attempts with their answers.

See bot/services/kpi_records.py for the choices made when mapping rows to records.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.kpis import AnswerRecord, AssignmentRecord, AttemptRecord
from bot.db.models import QuizQuestion, Revision, SopRecord
from bot.db.training import (
    ATTEMPT_FAILED,
    ATTEMPT_PASSED,
    WITHDRAWN,
    Assignment,
    QuizAnswer,
    QuizAttempt,
)


def assignment_records(session: Session, *, workspace_id: int) -> list[AssignmentRecord]:
    """Every training assignment, with its revision's number and publication time."""
    # Plain rows on the connection and the small tables joined here: this is the biggest of
    # the record sets the digest reads whole, and ORM row handling would double its cost.
    revisions = {
        revision_id: (number, published_at)
        for revision_id, number, published_at in session.execute(
            select(Revision.id, Revision.number, Revision.published_at)
        )
    }
    slugs = dict(session.execute(select(SopRecord.id, SopRecord.slug)).all())
    rows = session.connection().execute(
        select(
            Assignment.sop_id,
            Assignment.revision_id,
            Assignment.user_id,
            Assignment.assigned_at,
            Assignment.status,
            Assignment.passed_at,
        ).where(Assignment.workspace_id == workspace_id, Assignment.status != WITHDRAWN)
    )
    found = []
    for sop_id, revision_id, user, assigned_at, status, passed_at in rows.all():
        number, published_at = revisions[revision_id]
        found.append(
            AssignmentRecord(
                slugs[sop_id], number, user, user, assigned_at, status, passed_at, published_at
            )
        )
    return found


def attempt_records(
    session: Session, *, workspace_id: int, since: datetime | None = None
) -> list[AttemptRecord]:
    """Finished first quiz attempts started at or after `since`, with their answers.

    Quiz quality reads first attempts in its window only, so later ones are not loaded.
    """
    filters = [
        Assignment.workspace_id == workspace_id,
        QuizAttempt.number == 1,
        QuizAttempt.status.in_((ATTEMPT_PASSED, ATTEMPT_FAILED)),
    ]
    if since is not None:
        filters.append(QuizAttempt.started_at >= since)
    numbers: dict[tuple[int, str], int] = {
        (revision_id, text): number
        for revision_id, text, number in session.execute(
            select(QuizQuestion.revision_id, QuizQuestion.text, QuizQuestion.number)
        )
    }
    answers: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for attempt_id, position, correct in session.execute(
        select(QuizAnswer.attempt_id, QuizAnswer.position, QuizAnswer.correct)
        .join(QuizAttempt, QuizAttempt.id == QuizAnswer.attempt_id)
        .join(Assignment, Assignment.id == QuizAttempt.assignment_id)
        .where(*filters)
    ):
        answers[attempt_id].append((position, correct))
    rows = session.execute(
        select(
            QuizAttempt.id,
            QuizAttempt.number,
            QuizAttempt.questions,
            QuizAttempt.started_at,
            QuizAttempt.status,
            Assignment.revision_id,
            Assignment.user_id,
            SopRecord.slug,
        )
        .join(Assignment, Assignment.id == QuizAttempt.assignment_id)
        .join(SopRecord, SopRecord.id == Assignment.sop_id)
        .where(*filters)
    )
    revision_numbers = dict(session.execute(select(Revision.id, Revision.number)).all())
    records = []
    for attempt_id, attempt_number, questions, started_at, status, revision_id, user, slug in rows:
        asked = questions or []
        given = []
        for position, correct in sorted(answers.get(attempt_id, [])):
            question = asked[position] if position < len(asked) else {}
            number = numbers.get((revision_id, question.get("text", "")), position + 1)
            given.append(AnswerRecord(number, question.get("step"), bool(correct)))
        records.append(
            AttemptRecord(
                sop=slug,
                revision=revision_numbers[revision_id],
                user=user,
                attempt_number=attempt_number,
                started_at=started_at,
                passed=status == ATTEMPT_PASSED,
                answers=tuple(given),
            )
        )
    return records
