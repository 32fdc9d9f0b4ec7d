"""Scheduled runs: one row per SOP, channel and due moment, claimed once by whoever inserts it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.models import Base, Run, UtcDateTime
from bot.db.outbox import dialect_insert

# Row states: the "Scheduled:" message was queued; or the run was never started (sopbot was down
# past its due time, or its channel could not be found).
POSTED, MISSED, NO_CHANNEL = "posted", "missed", "no_channel"


class ScheduledRun(Base):
    """One scheduled start of an SOP in a channel; `run_id` once someone took it."""

    __tablename__ = "scheduled_runs"
    __table_args__ = (
        UniqueConstraint("sop_id", "channel", "scheduled_for"),
        Index("ix_scheduled_runs_workspace_id_scheduled_for", "workspace_id", "scheduled_for"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sop_id: Mapped[int] = mapped_column(ForeignKey("sops.id"))
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    channel: Mapped[str] = mapped_column(String(100))  # as the schedule entry wrote it
    channel_id: Mapped[str | None] = mapped_column(String(32))  # resolved, when it could be
    scheduled_for: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str] = mapped_column(String(100))
    message_key: Mapped[str | None] = mapped_column(String(200))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    taken_by: Mapped[str | None] = mapped_column(String(32))
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


def claim(
    session: Session,
    *,
    workspace_id: int,
    sop_id: int,
    revision_id: int,
    channel: str,
    channel_id: str | None,
    scheduled_for: datetime,
    due_at: datetime,
    state: str,
    now: datetime,
    by: str,
) -> int | None:
    """Insert the occurrence's row; its ID, or None when another process already has it."""
    result = session.execute(
        dialect_insert(session, ScheduledRun)
        .values(
            workspace_id=workspace_id,
            sop_id=sop_id,
            revision_id=revision_id,
            channel=channel,
            channel_id=channel_id,
            scheduled_for=scheduled_for,
            due_at=due_at,
            state=state,
            claimed_at=now,
            claimed_by=by[:100],
        )
        .on_conflict_do_nothing(index_elements=["sop_id", "channel", "scheduled_for"])
        # RETURNING, not rowcount: psycopg reports -1 for this statement.
        .returning(ScheduledRun.id)
    )
    row = result.first()
    return row[0] if row is not None else None


def exists(session: Session, *, sop_id: int, channel: str, scheduled_for: datetime) -> bool:
    """Whether the occurrence was already claimed (a cheap check before the insert)."""
    return (
        session.scalar(
            select(ScheduledRun.id).where(
                ScheduledRun.sop_id == sop_id,
                ScheduledRun.channel == channel,
                ScheduledRun.scheduled_for == scheduled_for,
            )
        )
        is not None
    )


def take(session: Session, *, scheduled_id: int, user_id: str, run_id: int, now: datetime) -> bool:
    """Give the scheduled run to `user_id`; False when someone took it first."""
    result = session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.id == scheduled_id, ScheduledRun.run_id.is_(None))
        .values(run_id=run_id, taken_by=user_id, taken_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark(session: Session, *, scheduled_id: int, column: str, now: datetime) -> bool:
    """Set `reminded_at` or `escalated_at` once; False when it was already set."""
    field = getattr(ScheduledRun, column)
    result = session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.id == scheduled_id, field.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def unfinished_due(
    session: Session, *, workspace_id: int, now: datetime
) -> list[tuple[ScheduledRun, Run | None]]:
    """Posted scheduled runs past their due time, not finished, not yet escalated."""
    query = (
        select(ScheduledRun, Run)
        .outerjoin(Run, Run.id == ScheduledRun.run_id)
        .where(
            ScheduledRun.workspace_id == workspace_id,
            ScheduledRun.state == POSTED,
            ScheduledRun.due_at <= now,
            ScheduledRun.escalated_at.is_(None),
            (Run.id.is_(None)) | (Run.status != "completed"),
        )
        .order_by(ScheduledRun.id)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def between(
    session: Session, *, workspace_id: int, start: datetime, end: datetime
) -> list[tuple[ScheduledRun, Run | None]]:
    """Scheduled runs that fell due in [start, end), with their run when one was taken."""
    query = (
        select(ScheduledRun, Run)
        .outerjoin(Run, Run.id == ScheduledRun.run_id)
        .where(
            ScheduledRun.workspace_id == workspace_id,
            ScheduledRun.scheduled_for >= start,
            ScheduledRun.scheduled_for < end,
        )
        .order_by(ScheduledRun.scheduled_for)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def of_run(session: Session, *, run_id: int) -> ScheduledRun | None:
    """The scheduled run a run was taken for, if any."""
    return session.scalars(select(ScheduledRun).where(ScheduledRun.run_id == run_id)).first()
