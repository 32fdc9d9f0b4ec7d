"""Digest claims (one per workspace and day), daily KPI rollups, and the digest's indexes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.models import Base, BigId, Event, Json, Run, UtcDateTime
from bot.db.outbox import dialect_insert

# Digest row states: queued to the outbox, or deliberately not sent.
QUEUED, SKIPPED_LATE, SKIPPED_EMPTY = "queued", "skipped_late", "skipped_empty"
# Chart states: waiting for the digest message, uploaded, or none to upload (no matplotlib).
CHART_PENDING, CHART_UPLOADED, CHART_NONE, CHART_FAILED = "pending", "uploaded", "none", "failed"
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # a marker row not built yet
NO_SOP = ""  # the rollup key of lookups that led to no SOP (a NULL would defeat the unique key)

# The lookups of a day, per workspace: the rollup's and the raw digest's one event query.
Index("ix_events_workspace_id_kind_at", Event.workspace_id, Event.kind, Event.at)
# Runs finished since rollups were built or checked: what makes a rolled-up day stale.
Index("ix_runs_finished_at", Run.finished_at)


class Digest(Base):
    """The daily digest of one local day: claimed once, by whichever process inserts this row."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("workspace_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    day: Mapped[date] = mapped_column(Date)  # the local day the digest reports on
    tz: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str] = mapped_column(String(100))
    message_key: Mapped[str | None] = mapped_column(String(200))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    chart: Mapped[dict[str, Any] | None] = mapped_column(Json)  # the 14-day series to draw
    chart_state: Mapped[str] = mapped_column(String(16))
    chart_attempts: Mapped[int] = mapped_column(Integer, default=0)
    chart_lease_owner: Mapped[str | None] = mapped_column(String(100))
    chart_lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    chart_file_id: Mapped[str | None] = mapped_column(String(32))
    chart_upload_url: Mapped[str | None] = mapped_column(String(500))
    chart_uploaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    chart_error: Mapped[str | None] = mapped_column(String(500))


class KpiRollupDay(Base):
    """That one local day's rollups were built, when, and how many runs were still open then."""

    __tablename__ = "kpi_rollup_days"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    tz: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UtcDateTime)
    open_runs: Mapped[int] = mapped_column(Integer)
    # Set on today's marker only: its rollups hold the day's settled part, the runs finished and
    # the lookups made before this instant (bot/services/kpi_rollups.py, roll_up_today).
    settled_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # With it, the runs open at that instant (kpi_records.open_runs): read from here, not from
    # the runs table, while they stay open. None: read them raw (rows from before 0016).
    settled_open: Mapped[list[list[Any]] | None] = mapped_column(JSON, nullable=True)
    # Counted up each time the day's rollups are written: a span summed from them names the
    # revisions it read, so it is used only while every day is still the same (bot/db/spans.py).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class KpiPerson(Base):
    """A person's number in KPI rollups, which store people as numbers (bot/core/kpis/people.py)."""

    __tablename__ = "kpi_people"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)  # the number
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    # The latest day a stored rollup was given this number: past retention, and in no rollup
    # any more, the row is deleted (bot/db/rollups.prune_people), so the user ID goes too.
    last_day: Mapped[date] = mapped_column(Date)


class KpiRollup(Base):
    """One SOP's `Counts` on one local day in one time zone (bot/core/kpis rollup design)."""

    __tablename__ = "kpi_rollups"
    __table_args__ = (UniqueConstraint("workspace_id", "tz", "day", "sop"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    tz: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    sop: Mapped[str] = mapped_column(String(100))
    # The Counts in two parts, so a trend's previous week can skip parsing the bulky lists.
    # JSON, not JSONB, on PostgreSQL too: a rollup is read whole and never queried inside,
    # and the server re-serialises JSONB on every read (a third of /sop kpis at 5M events).
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)  # totals, people, open runs
    lists: Mapped[dict[str, Any]] = mapped_column(JSON)  # misses, durations, step times, stops


class KpiSpan(Base):
    """Consecutive days' rollups summed per SOP: built when, from which revisions of the days."""

    __tablename__ = "kpi_spans"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    tz: Mapped[str] = mapped_column(String(64), primary_key=True)
    first: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revisions: Mapped[list[int]] = mapped_column(JSON)  # each day's revision, first to last


class KpiSpanRollup(Base):
    """One SOP's `Counts` over a span's days (the sum of its daily rollups)."""

    __tablename__ = "kpi_span_rollups"
    __table_args__ = (UniqueConstraint("workspace_id", "tz", "first", "last", "sop"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    tz: Mapped[str] = mapped_column(String(64))
    first: Mapped[date] = mapped_column(Date)
    last: Mapped[date] = mapped_column(Date)
    sop: Mapped[str] = mapped_column(String(100))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)  # as kpi_rollups stores them
    lists: Mapped[dict[str, Any]] = mapped_column(JSON)


# -- digests -----------------------------------------------------------------------------------


def digest_row(session: Session, *, workspace_id: int, day: date) -> Digest | None:
    """The digest row of `day`, if some process claimed it."""
    return session.scalars(
        select(Digest).where(Digest.workspace_id == workspace_id, Digest.day == day)
    ).first()


def claim_digest(
    session: Session,
    *,
    workspace_id: int,
    day: date,
    tz: str,
    status: str,
    now: datetime,
    by: str,
    message_key: str | None = None,
    channel_id: str | None = None,
    chart: dict[str, Any] | None = None,
) -> bool:
    """Insert the day's row; False when another process (or an earlier run) already has it."""
    result = session.execute(
        dialect_insert(session, Digest)
        .values(
            workspace_id=workspace_id,
            day=day,
            tz=tz,
            status=status,
            claimed_at=now,
            claimed_by=by[:100],
            message_key=message_key,
            channel_id=channel_id,
            chart=chart,
            chart_state=CHART_PENDING if chart is not None else CHART_NONE,
            chart_attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "day"])
        # RETURNING, not rowcount: psycopg reports -1 for this statement.
        .returning(Digest.id)
    )
    return result.first() is not None


def release_digest(session: Session, *, workspace_id: int, day: date) -> int:
    """Forget a day's claim (`sopbot digest --send --force` sends again)."""
    result = session.execute(
        delete(Digest).where(Digest.workspace_id == workspace_id, Digest.day == day)
    )
    return result.rowcount


def charts_waiting(session: Session, *, now: datetime) -> list[Digest]:
    """Digests whose chart is still to upload and not leased to a live uploader."""
    query = select(Digest).where(
        Digest.chart_state == CHART_PENDING,
        (Digest.chart_lease_expires_at.is_(None)) | (Digest.chart_lease_expires_at < now),
    )
    return list(session.scalars(query.order_by(Digest.id)))


def lease_chart(session: Session, *, digest_id: int, token: str, until: datetime, now: datetime):
    """Take the chart upload for `token` until `until`; False if someone else holds it."""
    result = session.execute(
        update(Digest)
        .where(
            Digest.id == digest_id,
            Digest.chart_state == CHART_PENDING,
            (Digest.chart_lease_expires_at.is_(None)) | (Digest.chart_lease_expires_at < now),
        )
        .values(
            chart_lease_owner=token,
            chart_lease_expires_at=until,
            chart_attempts=Digest.chart_attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def reserve_chart_file(session: Session, *, digest_id: int, file_id: str, upload_url: str) -> None:
    """Remember the file Slack reserved, so a retry re-sends the same file, never a second one."""
    session.execute(
        update(Digest)
        .where(Digest.id == digest_id)
        .values(chart_file_id=file_id, chart_upload_url=upload_url)
        .execution_options(synchronize_session=False)
    )


def retry_chart_later(session: Session, *, digest_id: int, at: datetime, error: str) -> None:
    """Free the upload for another try at `at` (the lease doubles as the back-off)."""
    session.execute(
        update(Digest)
        .where(Digest.id == digest_id)
        .values(chart_lease_owner=None, chart_lease_expires_at=at, chart_error=error[:500])
        .execution_options(synchronize_session=False)
    )


def finish_chart(
    session: Session,
    *,
    digest_id: int,
    state: str,
    now: datetime,
    file_id: str | None = None,
    error: str | None = None,
) -> None:
    """Record the chart's outcome and free the lease."""
    session.execute(
        update(Digest)
        .where(Digest.id == digest_id)
        .values(
            chart_state=state,
            chart_file_id=file_id or Digest.chart_file_id,
            chart_uploaded_at=now if state == CHART_UPLOADED else None,
            chart_error=error[:500] if error else None,
            chart_lease_owner=None,
            chart_lease_expires_at=None,
        )
        .execution_options(synchronize_session=False)
    )
