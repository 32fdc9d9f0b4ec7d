"""KPI spans: a window's whole days summed per SOP, so `/sop kpis 30d` reads a row per SOP.

A day's rollups hold histograms that grow with the day's runs until their buckets fill, and a
30-day window read day by day parses 30 rows per SOP and bisects 30 histogram parts per step:
its cost grows with the log. Summed over 29 days, a histogram is full already, so one span
row per SOP costs about the same at 1M and at 5M events (bench/digest.py). The hourly rollup
job sums yesterday's windows once their days are rolled up; readers use a span only while
every day in it is still the revision it summed (bot/db/spans.py), else they read the days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.kpis import Counts, DailyRollup, local_day, span_ranges
from bot.core.kpis.tally import merge_counts
from bot.core.kpis.windows import PERIODS
from bot.db import rollups as rollup_store
from bot.db import spans as store
from bot.services.kpi_rollups import first_activity, stale_days, whole


def wanted(now: datetime, tz: ZoneInfo) -> list[tuple[date, date]]:
    """The spans `/sop kpis` reads today: each period's window before today, and the one before."""
    today = local_day(now, tz)
    return sorted({r for days in PERIODS for r in span_ranges(today, days)})


def roll_up_span(
    session: Session, *, workspace_id: int, tz: ZoneInfo, first: date, last: date, now: datetime
) -> int | None:
    """Sum the days' stored rollups into the span unless it is exact already; rows written.

    None, and nothing written, while it is exact, or while a day is not rolled up or is stale
    (the job rolls the days up first; until then readers read the days).
    """
    span = store.lock(session, workspace_id=workspace_id, tz=str(tz), first=first, last=last)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    # The revisions are read before the rows: rows rewritten in between are newer than the
    # revisions recorded, so the span reads as outdated and is summed again; never the reverse.
    markers = rollup_store.rollup_days(
        session, workspace_id=workspace_id, tz=str(tz), first=first, last=last
    )
    began = first_activity(session, workspace_id=workspace_id)
    active_from = local_day(began, tz) if began is not None else last + timedelta(days=1)
    # Days before the first run or lookup are never rolled up: empty, they sum as BEFORE.
    if any(d not in markers and d >= active_from for d in days):
        return None
    if not all(whole(m) for m in markers.values()):
        return None
    if stale_days(session, workspace_id=workspace_id, tz=tz, markers=markers):
        return None
    revisions = [markers[d].revision if d in markers else store.BEFORE for d in days]
    if span.revisions == revisions:
        return None
    per_sop: dict[str | None, list[Counts]] = defaultdict(list)
    for r in rollup_store.read_rollups(session, workspace_id=workspace_id, tz=str(tz), days=days):
        per_sop[r.sop].append(r.counts)
    summed = [DailyRollup(last, sop, merge_counts(c), first=first) for sop, c in per_sop.items()]
    return store.write(session, span=span, rollups=summed, revisions=revisions, now=now)


def drop_old(session: Session, *, workspace_id: int, tz: ZoneInfo, now: datetime) -> int:
    """Delete the zone's spans no window reads any more (the days before yesterday's windows)."""
    return store.drop_others(session, workspace_id=workspace_id, tz=str(tz), keep=wanted(now, tz))
