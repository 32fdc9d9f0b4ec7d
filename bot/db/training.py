"""Training records: one assignment per person and material revision, its quiz attempts, answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bot.db import outbox
from bot.db.models import Base, Json, Revision, SopRecord, UtcDateTime

PENDING, OVERDUE, CURRENT, SUPERSEDED = "pending", "overdue", "current", "superseded"
WITHDRAWN = "withdrawn"  # the person left the audience before passing
OPEN_STATUSES = (PENDING, OVERDUE)
# Attempt states: answering, finished with a pass or a fail, or closed by a newer revision.
ATTEMPT_OPEN, ATTEMPT_PASSED, ATTEMPT_FAILED, ATTEMPT_CLOSED = "open", "passed", "failed", "closed"


class Assignment(Base):
    """One person's training on one material revision of an SOP: the audit record."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("revision_id", "user_id"),
        Index("ix_assignments_user_id_status", "user_id", "status"),
        Index("ix_assignments_status_assigned_at", "status", "assigned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sop_id: Mapped[int] = mapped_column(ForeignKey("sops.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    tz: Mapped[str | None] = mapped_column(String(64))  # IANA zone from users.info
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    owner_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int | None] = mapped_column(Integer)  # percent, of the latest finished attempt
    passed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))

    sop: Mapped[SopRecord] = relationship()
    revision: Mapped[Revision] = relationship(foreign_keys=[revision_id])


class QuizAttempt(Base):
    """One go at an assignment's quiz: the questions as shown (shuffled) and where it stands."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("assignment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id"))
    number: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    # The questions in the order asked, options in the order shown, correct indexes included:
    # grading never depends on re-deriving a shuffle, and the record shows what was asked.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    position: Mapped[int] = mapped_column(Integer, default=0)  # next question to answer
    correct: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    assignment: Mapped[Assignment] = relationship()


class QuizAnswer(Base):
    """One answer to one question of an attempt (at most one per question)."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id"))
    position: Mapped[int] = mapped_column(Integer)
    chosen: Mapped[list[int]] = mapped_column(Json)  # display indexes
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)


REMINDERS = 2  # after the first and second interval; the third makes it overdue


def reminder_key(assignment_id: int, number: int) -> str:
    """The outbox key of an assignment's reminder number `number`."""
    return f"reminder:{assignment_id}:{number}"


def cancel_reminders(session: Session, *, assignment_ids: list[int]) -> set[str]:
    """Withdraw reminders still waiting (e.g. deferred to the morning) for closed assignments."""
    keys = [reminder_key(a, n) for a in assignment_ids for n in range(1, REMINDERS + 1)]
    return outbox.cancel_unsent(session, keys=keys)
