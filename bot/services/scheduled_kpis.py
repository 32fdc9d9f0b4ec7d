"""Adherence of scheduled runs, read from `scheduled_runs` and their runs, for KPIs and digests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.core.kpis.adherence import AdherenceRow, ScheduledRecord, adherence
from bot.db import scheduled as store
from bot.db.models import SopRecord


def records(
    session: Session, *, workspace_id: int, start: datetime, end: datetime
) -> list[ScheduledRecord]:
    """Scheduled runs that fell due in [start, end), as KPI records."""
    found = []
    titles: dict[int, tuple[str, str]] = {}
    for row, run in store.between(session, workspace_id=workspace_id, start=start, end=end):
        if row.sop_id not in titles:
            record = session.get(SopRecord, row.sop_id)
            assert record is not None
            titles[row.sop_id] = (record.slug, record.title)
        slug, title = titles[row.sop_id]
        completed = run.finished_at if run is not None and run.status == "completed" else None
        found.append(
            ScheduledRecord(
                slug=slug,
                title=title,
                channel=row.channel,
                scheduled_for=row.scheduled_for,
                due_at=row.due_at,
                never_started=row.state != store.POSTED,
                completed_at=completed,
            )
        )
    return found


def rows(
    session: Session,
    *,
    workspace_id: int,
    start: datetime,
    end: datetime,
    now: datetime,
    slugs: set[str] | None = None,
) -> list[AdherenceRow]:
    """Adherence per SOP and channel over [start, end); only `slugs` when given."""
    found = records(session, workspace_id=workspace_id, start=start, end=end)
    return [r for r in adherence(found, now) if slugs is None or r.slug in slugs]
