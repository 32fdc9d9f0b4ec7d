"""The daily digest and on-demand KPIs: read the records, build the numbers, claim and queue.

The digest posted on a local day reports on the day before (a whole day), with the 7 days
ending then against the 7 before, and a 14-day chart series. Finished days come from the
daily rollups; see bot/services/kpi_rollups.py for when they are exact.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.kpis import (
    AssignmentRecord,
    Digest,
    Kpis,
    build_digest,
    compute_kpis,
    day_window,
    local_day,
    span_ranges,
    trailing_windows,
)
from bot.core.kpis.adherence import with_streaks
from bot.core.kpis.digest import with_schedule
from bot.db import digest as store
from bot.db import outbox
from bot.db.models import Revision, SopRecord
from bot.services import kpi_handoffs, kpi_rollups, scheduled_kpis
from bot.services import kpi_records as records

TREND_DAYS = 7
CHART_DAYS = 14
GRACE = timedelta(hours=6)  # a digest missed by downtime is still sent this long after its time
Message = dict[str, Any]  # {"text": ..., "blocks": [...]}, rendered by the Slack layer
P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class ChartSeries:
    """The 14 days the chart shows: runs started and completed, training coverage at day end."""

    days: tuple[date, ...]
    runs_started: tuple[int, ...]
    runs_completed: tuple[int, ...]
    coverage: tuple[float | None, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "days": [d.isoformat() for d in self.days],
            "runs_started": list(self.runs_started),
            "runs_completed": list(self.runs_completed),
            "coverage": list(self.coverage),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ChartSeries:
        return cls(
            days=tuple(date.fromisoformat(x) for x in d["days"]),
            runs_started=tuple(d["runs_started"]),
            runs_completed=tuple(d["runs_completed"]),
            coverage=tuple(d["coverage"]),
        )


@dataclass(frozen=True)
class DigestReport:
    """A day's digest, its chart series, and whether the day saw any activity at all."""

    digest: Digest
    chart: ChartSeries
    empty: bool


class CoverageHistory:
    """Training coverage over the live SOPs as it stood at any moment.

    At a moment, each SOP counts its latest revision that had people assigned by then: the
    people assigned it by then are its audience, those who had passed it are trained.
    """

    def __init__(self, assignments: Iterable[AssignmentRecord], live: set[str]) -> None:
        times: dict[tuple[str, int], tuple[list[datetime], list[datetime]]] = {}
        for a in assignments:
            if a.sop in live:
                assigned, passed = times.setdefault((a.sop, a.revision), ([], []))
                assigned.append(a.assigned_at)
                if a.passed_at is not None:
                    passed.append(a.passed_at)
        self._by_sop: dict[str, list[tuple[int, list[datetime], list[datetime]]]] = {}
        for (sop, revision), (assigned, passed) in sorted(times.items(), reverse=True):
            self._by_sop.setdefault(sop, []).append((revision, sorted(assigned), sorted(passed)))

    def at(self, moment: datetime) -> float | None:
        """passed / audience at `moment`, weighted by audience as in the totals; None if none."""
        audience = passed = 0
        for revisions in self._by_sop.values():
            for _, assigned, done in revisions:  # newest revision first
                people = bisect_right(assigned, moment)
                if people:
                    audience += people
                    passed += bisect_right(done, moment)
                    break
        return passed / audience if audience else None


def collector_paused(function: Callable[P, T]) -> Callable[P, T]:
    """Run `function` with Python's cyclic garbage collector paused.

    A digest loads some 100,000 long-lived objects (rollups, assignments) and makes no
    reference cycles; left on, the collector walks them all again and again, which measured
    a third of the digest's time at 1,000,000 events (bench/digest.py).
    """

    @functools.wraps(function)
    def paused(*args: P.args, **kwargs: P.kwargs) -> T:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


def _records(
    session: Session,
    *,
    workspace_id: int,
    rollups: list,
    since: datetime,
    slugs: frozenset[str] | None,
) -> tuple[list, list, list, list, list]:
    """Rollups, SOPs, assignments, attempts since `since` and feedback; of `slugs` when given."""
    sops = records.sop_infos(session, workspace_id=workspace_id)
    assignments = records.assignment_records(session, workspace_id=workspace_id)
    attempts = records.attempt_records(session, workspace_id=workspace_id, since=since)
    feedback = records.feedback_records(session, workspace_id=workspace_id)
    if slugs is None:
        return rollups, sops, assignments, attempts, feedback
    return (
        [r for r in rollups if r.sop in slugs],
        [s for s in sops if s.slug in slugs],
        [a for a in assignments if a.sop in slugs],
        [a for a in attempts if a.sop in slugs],
        [f for f in feedback if f.sop in slugs],
    )


@collector_paused
def report(
    session: Session,
    *,
    workspace_id: int,
    day: date,
    tz: ZoneInfo,
    now: datetime,
    slugs: frozenset[str] | None = None,
) -> DigestReport:
    """The digest of local `day` at `now`; of only `slugs` when given (a managers channel's)."""
    first = day - timedelta(days=max(CHART_DAYS, 2 * TREND_DAYS) - 1)
    rollups = kpi_rollups.daily(
        session,
        workspace_id=workspace_id,
        tz=tz,
        first=first,
        last=day,
        now=now,
        light_before=day - timedelta(days=TREND_DAYS - 1),
    )
    week_start = day_window(day - timedelta(days=TREND_DAYS - 1), tz).start
    rollups, sops, assignments, attempts, feedback = _records(
        session, workspace_id=workspace_id, rollups=rollups, since=week_start, slugs=slugs
    )
    between = kpi_rollups.tally_between
    digest = build_digest(
        day=day,
        tz=tz,
        now=now,
        sops=sops,
        day_tally=between(rollups, day, day),
        week_tally=between(rollups, day - timedelta(days=TREND_DAYS - 1), day),
        previous_week_tally=between(
            rollups, day - timedelta(days=2 * TREND_DAYS - 1), day - timedelta(days=TREND_DAYS)
        ),
        assignments=assignments,
        attempts=attempts,
        feedback=feedback,
    )
    slower = kpi_handoffs.slower_for_digest(session, workspace_id=workspace_id, tz=tz, day=day)
    if slugs is not None:
        slower = tuple(s for s in slower if s.slug in slugs)
    digest = dataclasses.replace(digest, slower_handoffs=slower)
    week_end = day_window(day, tz).end
    digest = with_schedule(
        digest,
        scheduled_kpis.rows(
            session,
            workspace_id=workspace_id,
            start=week_start,
            end=week_end,
            now=now,
            slugs=None if slugs is None else set(slugs),
        ),  # fmt: skip
    )
    days = tuple(day - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1))
    # Plain sums per day: merging whole Counts (people sets, sorted lists) is not needed here.
    per_day = {d: [0, 0, 0] for d in days}  # runs started, runs completed, lookups
    for r in rollups:
        if r.day in per_day:
            sums = per_day[r.day]
            sums[0] += r.counts.runs_started
            sums[1] += r.counts.runs_completed
            sums[2] += r.counts.lookups
    history = CoverageHistory(assignments, {s.slug for s in sops})
    chart = ChartSeries(
        days=days,
        runs_started=tuple(per_day[d][0] for d in days),
        runs_completed=tuple(per_day[d][1] for d in days),
        coverage=tuple(history.at(min(now, day_window(d, tz).end)) for d in days),
    )
    window = day_window(day, tz)
    quiet = per_day[day][0] == 0 and per_day[day][2] == 0
    quiet = quiet and not any(a.started_at in window for a in attempts)
    quiet = quiet and not any(f.created_at in window for f in feedback)
    return DigestReport(digest, chart, quiet)


@collector_paused
def kpis(
    session: Session,
    *,
    workspace_id: int,
    tz: ZoneInfo,
    days: int,
    now: datetime,
    slugs: frozenset[str] | None = None,
) -> Kpis:
    """The KPIs of the `days` local days ending today (so far), against the `days` before; of
    only `slugs` when given (the SOPs someone manages without managing every SOP)."""
    today = local_day(now, tz)
    window, previous = trailing_windows(today, tz, days)
    rollups = kpi_rollups.daily(
        session,
        workspace_id=workspace_id,
        tz=tz,
        first=today - timedelta(days=2 * days - 1),
        last=today,
        now=now,
        light_before=today - timedelta(days=days - 1),
        spans=span_ranges(today, days),
    )
    rollups, sops, assignments, attempts, feedback = _records(
        session, workspace_id=workspace_id, rollups=rollups, since=window.start, slugs=slugs
    )
    found = compute_kpis(
        window=window,
        now=now,
        tally=kpi_rollups.tally_between(rollups, today - timedelta(days=days - 1), today),
        previous=kpi_rollups.tally_between(
            rollups, today - timedelta(days=2 * days - 1), today - timedelta(days=days)
        ),
        sops=sops,
        assignments=assignments,
        attempts=attempts,
        feedback=feedback,
    )
    schedule = scheduled_kpis.rows(
        session,
        workspace_id=workspace_id,
        start=window.start,
        end=window.end,
        now=now,
        slugs=None if slugs is None else set(slugs),
    )
    return dataclasses.replace(found, sops=with_streaks(found.sops, schedule))


def installed_at(session: Session, *, workspace_id: int) -> datetime | None:
    """When the first SOP was published: no digest before it was ever due, so none was missed."""
    return session.scalar(
        select(func.min(Revision.published_at))
        .join(SopRecord, SopRecord.id == Revision.sop_id)
        .where(SopRecord.workspace_id == workspace_id)
    )


def message_key(workspace_id: int, day: date) -> str:
    """The outbox key of a day's digest message."""
    return f"digest:{workspace_id}:{day.isoformat()}"


def queue(
    session: Session,
    *,
    workspace_id: int,
    result: DigestReport,
    channel: str,
    now: datetime,
    by: str,
    with_chart: bool,
    render: Callable[[Digest, bool], Message],
) -> bool:
    """Claim the day and queue its message in one transaction; False if it was claimed before."""
    d = result.digest
    key = message_key(workspace_id, d.day)
    claimed = store.claim_digest(
        session,
        workspace_id=workspace_id,
        day=d.day,
        tz=d.tz,
        status=store.QUEUED,
        now=now,
        by=by,
        message_key=key,
        channel_id=channel,
        chart=result.chart.to_json() if with_chart else None,
    )
    if not claimed:
        return False
    message = render(d, with_chart)
    queued = outbox.enqueue(
        session, key=key, workspace_id=workspace_id, channel_id=channel, now=now, **message
    )
    if not queued:
        # The key is taken by a digest sent earlier and then released with --force.
        key = f"{key}:again:{now.timestamp():.0f}"
        outbox.enqueue(
            session, key=key, workspace_id=workspace_id, channel_id=channel, now=now, **message
        )
        row = store.digest_row(session, workspace_id=workspace_id, day=d.day)
        assert row is not None
        row.message_key = key
    return True


def skip(
    session: Session, *, workspace_id: int, day: date, tz: str, status: str, now: datetime, by: str
) -> bool:
    """Claim the day without sending (too late after downtime, or a quiet day); False if taken."""
    return store.claim_digest(
        session, workspace_id=workspace_id, day=day, tz=tz, status=status, now=now, by=by
    )
