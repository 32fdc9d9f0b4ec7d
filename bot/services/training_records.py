"""Reading training records: a person's own, one SOP's current revision, and the full export."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from bot.db.models import Revision, SopRecord
from bot.db.training import CURRENT, OPEN_STATUSES, OVERDUE, PENDING, Assignment
from bot.services.training import latest_material_revision

EXPORT_COLUMNS = (
    "assignment_id",
    "sop",
    "title",
    "revision",
    "user_id",
    "status",
    "assigned_at",
    "reminders_sent",
    "overdue_at",
    "attempts",
    "score",
    "passed_at",
    "superseded_at",
    "superseded_by_revision",
    "withdrawn_at",
    "tz",
)


@dataclass(frozen=True)
class TrainingRow:
    """One assignment as people and auditors read it."""

    assignment_id: int
    sop: str
    title: str
    revision: int
    user_id: str
    status: str
    assigned_at: datetime
    reminders_sent: int
    overdue_at: datetime | None
    attempts: int
    score: int | None
    passed_at: datetime | None
    superseded_at: datetime | None
    superseded_by_revision: int | None
    withdrawn_at: datetime | None
    tz: str | None

    def as_csv(self) -> list[str]:
        """The row's values in EXPORT_COLUMNS order; times as ISO 8601 UTC, missing as empty."""
        values = [getattr(self, column) for column in EXPORT_COLUMNS]
        return [
            v.isoformat() if isinstance(v, datetime) else "" if v is None else str(v)
            for v in values
        ]


@dataclass(frozen=True)
class SopTraining:
    """Who is trained on an SOP's current material revision, who is pending, who is overdue."""

    slug: str
    title: str
    revision: int | None
    trained: list[TrainingRow] = field(default_factory=list)
    pending: list[TrainingRow] = field(default_factory=list)
    overdue: list[TrainingRow] = field(default_factory=list)


def _rows() -> Select:
    newer = aliased(Revision)
    return (
        select(Assignment, SopRecord.slug, SopRecord.title, Revision.number, newer.number)
        .join(SopRecord, SopRecord.id == Assignment.sop_id)
        .join(Revision, Revision.id == Assignment.revision_id)
        .outerjoin(newer, newer.id == Assignment.superseded_by_id)
    )


def _row(found: tuple) -> TrainingRow:
    a, slug, title, number, newer = found
    return TrainingRow(
        assignment_id=a.id,
        sop=slug,
        title=title,
        revision=number,
        user_id=a.user_id,
        status=a.status,
        assigned_at=a.assigned_at,
        reminders_sent=a.reminders_sent,
        overdue_at=a.overdue_at,
        attempts=a.attempts,
        score=a.score,
        passed_at=a.passed_at,
        superseded_at=a.superseded_at,
        superseded_by_revision=newer,
        withdrawn_at=a.withdrawn_at,
        tz=a.tz,
    )


def my_training(
    session: Session, *, user_id: str, limit: int = 10
) -> tuple[list[TrainingRow], list[TrainingRow]]:
    """A person's open training (oldest first) and their latest passes (newest first)."""
    mine = _rows().where(Assignment.user_id == user_id, SopRecord.retired_at.is_(None))
    open_rows = session.execute(
        mine.where(Assignment.status.in_(OPEN_STATUSES)).order_by(Assignment.assigned_at)
    ).all()
    done = session.execute(
        mine.where(Assignment.passed_at.is_not(None))
        .order_by(Assignment.passed_at.desc())
        .limit(limit)
    ).all()
    return [_row(r) for r in open_rows], [_row(r) for r in done]


def sop_training(session: Session, *, record: SopRecord) -> SopTraining:
    """The training state of an SOP's latest material revision."""
    revision = latest_material_revision(session, sop_id=record.id)
    if revision is None:
        return SopTraining(record.slug, record.title, None)
    found = [
        _row(r)
        for r in session.execute(
            _rows().where(Assignment.revision_id == revision.id).order_by(Assignment.user_id)
        ).all()
    ]
    return SopTraining(
        slug=record.slug,
        title=record.title,
        revision=revision.number,
        trained=[r for r in found if r.status == CURRENT],
        pending=[r for r in found if r.status == PENDING],
        overdue=[r for r in found if r.status == OVERDUE],
    )


def export_rows(session: Session, *, workspace_id: int) -> Iterator[TrainingRow]:
    """Every assignment ever made, by SOP, revision and person."""
    query = (
        _rows()
        .where(Assignment.workspace_id == workspace_id)
        .order_by(SopRecord.slug, Revision.number, Assignment.user_id)
        .execution_options(yield_per=500)
    )
    for found in session.execute(query):
        yield _row(tuple(found))
