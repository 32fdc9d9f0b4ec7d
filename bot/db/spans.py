"""KPI spans in the database: consecutive days' rollups summed per SOP, and when they are exact.

A span names the revision of every day it was summed from (`kpi_rollup_days.revision`, counted
up whenever a day's rollups are written), so a reader that finds a day rewritten since, or
stale, reads that window's days instead: a span is never less exact than its days.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, false, not_, or_, select
from sqlalchemy.orm import Session

from bot.core.kpis import DailyRollup
from bot.db.digest import NEVER, NO_SOP, KpiRollupDay, KpiSpan, KpiSpanRollup
from bot.db.rollups import counts_from_json, counts_to_json, locked_marker

Range = tuple[date, date]  # first and last day, both included
BEFORE = -1  # the revision of a day summed before any activity: no rollup, and none since


def markers(session: Session, *, workspace_id: int, tz: str, ranges: list[Range]) -> dict:
    """The stored spans among `ranges`, by (first, last)."""
    if not ranges:
        return {}
    query = select(KpiSpan).where(
        KpiSpan.workspace_id == workspace_id,
        KpiSpan.tz == tz,
        or_(*(and_(KpiSpan.first == a, KpiSpan.last == b) for a, b in ranges)),
    )
    return {(row.first, row.last): row for row in session.scalars(query)}


def read(session: Session, *, span: KpiSpan, light: bool) -> list[DailyRollup]:
    """The span's rollups, dated its last day; light ones (no lists column) when `light`."""
    columns = () if light else (KpiSpanRollup.lists,)
    query = select(KpiSpanRollup.sop, KpiSpanRollup.counts, *columns).where(
        KpiSpanRollup.workspace_id == span.workspace_id,
        KpiSpanRollup.tz == span.tz,
        KpiSpanRollup.first == span.first,
        KpiSpanRollup.last == span.last,
    )
    return [
        DailyRollup(span.last, row[0] or None, counts_from_json(*row[1:]), first=span.first)
        for row in session.execute(query)
    ]


def usable(
    session: Session,
    *,
    workspace_id: int,
    tz: str,
    ranges: list[Range],
    days: dict[date, KpiRollupDay],
    exact: set[date],
    light_before: date,
) -> tuple[list[DailyRollup], set[date]]:
    """The stored spans of `ranges` still exact (every day in `exact`, at the revision summed),
    read (light before `light_before`); and the days they cover."""
    found: list[DailyRollup] = []
    covered: set[date] = set()
    for (first, last), span in markers(
        session, workspace_id=workspace_id, tz=tz, ranges=ranges
    ).items():
        inside = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        if len(span.revisions) != len(inside) or covered.intersection(inside):
            continue
        same = all(
            (d in exact and d in days and summed == days[d].revision)
            or (summed == BEFORE and d not in days)
            for d, summed in zip(inside, span.revisions, strict=True)
        )
        if not same or first < light_before <= last:
            continue  # a day rewritten or stale since, or half of it light: read the days
        found += read(session, span=span, light=last < light_before)
        covered.update(inside)
    return found, covered


def lock(session: Session, *, workspace_id: int, tz: str, first: date, last: date) -> KpiSpan:
    """The span's marker, created (empty) if missing and locked for this transaction."""
    key = {"workspace_id": workspace_id, "tz": tz, "first": first, "last": last}
    return locked_marker(session, KpiSpan, key, built_at=NEVER, revisions=[])


def write(
    session: Session,
    *,
    span: KpiSpan,
    rollups: list[DailyRollup],
    revisions: list[int],
    now: datetime,
) -> int:
    """Replace the span's rollups (one per SOP) and record the day revisions they summed."""
    session.execute(_rows_of(span.workspace_id, span.tz, [(span.first, span.last)]))
    rows = [
        {
            "workspace_id": span.workspace_id,
            "tz": span.tz,
            "first": span.first,
            "last": span.last,
            "sop": r.sop or NO_SOP,
            **dict(zip(("counts", "lists"), counts_to_json(r.counts), strict=True)),
        }
        for r in rollups
    ]
    if rows:
        session.execute(KpiSpanRollup.__table__.insert(), rows)
    span.revisions = list(revisions)
    span.built_at = now
    return len(rows)


def drop_others(session: Session, *, workspace_id: int, tz: str, keep: list[Range]) -> int:
    """Delete the zone's spans other than `keep` (yesterday's windows, once a day is over)."""
    session.execute(_rows_of(workspace_id, tz, keep, others=True))
    gone = delete(KpiSpan).where(
        KpiSpan.workspace_id == workspace_id,
        KpiSpan.tz == tz,
        not_(or_(false(), *(and_(KpiSpan.first == a, KpiSpan.last == b) for a, b in keep))),
    )
    return session.execute(gone).rowcount


def _rows_of(workspace_id: int, tz: str, ranges: list[Range], *, others: bool = False):
    """A delete of the span rollups of `ranges`, or of every other range's."""
    chosen = or_(
        false(), *(and_(KpiSpanRollup.first == a, KpiSpanRollup.last == b) for a, b in ranges)
    )
    return delete(KpiSpanRollup).where(
        KpiSpanRollup.workspace_id == workspace_id,
        KpiSpanRollup.tz == tz,
        not_(chosen) if others else chosen,
    )
