"""Hand-off KPIs from the `handoff_taken` events: per role, slowest per SOP, slower SOPs."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.kpis.handoffs import (
    HandoffRecord,
    SlowerHandoffs,
    SopHandoffs,
    handoff_kpis,
    slower_handoffs,
)
from bot.core.kpis.windows import local_day, trailing_windows
from bot.db.models import Event, SopRecord


def handoff_records(session: Session, *, workspace_id: int, since: datetime) -> list[HandoffRecord]:
    """Every waiting step taken since `since`."""
    rows = session.execute(
        select(Event.at, Event.step_number, Event.data, SopRecord.slug, SopRecord.title)
        .join(SopRecord, SopRecord.id == Event.sop_id)
        .where(
            Event.workspace_id == workspace_id,
            Event.kind == "handoff_taken",
            Event.at >= since,
        )
        .order_by(Event.at)
    )
    return [
        HandoffRecord(
            slug=slug,
            title=title,
            step=step or 0,
            role=str(data.get("role") or ""),
            taken_at=at,
            seconds=float(data.get("seconds") or 0.0),
        )
        for at, step, data, slug, title in rows
    ]


def handoffs(
    session: Session, *, workspace_id: int, tz: ZoneInfo, days: int, now: datetime
) -> tuple[dict[str, SopHandoffs], tuple[SlowerHandoffs, ...]]:
    """The `days` local days ending today: hand-offs per SOP, and SOPs whose waits grew."""
    window, previous = trailing_windows(local_day(now, tz), tz, days)
    found = handoff_records(
        session, workspace_id=workspace_id, since=previous.start - timedelta(days=1)
    )
    return handoff_kpis(found, window), slower_handoffs(found, window, previous)


def slower_for_digest(
    session: Session, *, workspace_id: int, tz: ZoneInfo, day: date, days: int = 7
) -> tuple[SlowerHandoffs, ...]:
    """SOPs whose hand-offs got slower in the `days` days ending with the digest's `day`."""
    window, previous = trailing_windows(day, tz, days)
    found = handoff_records(
        session, workspace_id=workspace_id, since=previous.start - timedelta(days=1)
    )
    return slower_handoffs(found, window, previous)
