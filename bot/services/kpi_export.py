"""Daily KPI rows for `sopbot kpis export`: one row per local day and SOP, plus the day's total."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.kpis import Counts
from bot.core.kpis.adherence import AdherenceRow, ScheduledRecord, adherence
from bot.core.kpis.histogram import median, nearest_rank
from bot.services import kpi_records as records
from bot.services import kpi_rollups, scheduled_kpis
from bot.services.digest import CoverageHistory

TOTAL = "*"  # the sop column of a day's total row
CHUNK_DAYS = 31  # days read at a time, so a long export never holds every record at once
EXPORT_COLUMNS = (
    "day",
    "sop",
    "lookups",
    "searches_not_found",
    "runs_started",
    "runs_completed",
    "runs_abandoned",
    "runs_open",
    "eligible_runs",
    "completion_rate",
    "median_minutes",
    "p90_minutes",
    "people",
    "outdated_revision_runs",
    "training_coverage",
    "scheduled_expected",
    "scheduled_on_time",
    "scheduled_late",
    "scheduled_missed",
    "schedule_adherence",
    "schedule_by_channel",
)
SCHEDULE_COLUMNS = EXPORT_COLUMNS[-6:]


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _minutes(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds / 60:.2f}"


def _row(day: date, sop: str, c: Counts, now: datetime) -> dict[str, str]:
    return {
        "day": day.isoformat(),
        "sop": sop,
        "lookups": str(c.lookups),
        "searches_not_found": str(sum(n for _, n in c.misses)),
        "runs_started": str(c.runs_started),
        "runs_completed": str(c.runs_completed),
        "runs_abandoned": str(c.runs_abandoned),
        "runs_open": str(len(c.open_started_at)),
        "eligible_runs": str(c.eligible_runs(now)),
        "completion_rate": _share(c.completion_rate(now)),
        "median_minutes": _minutes(median(c.durations)),
        "p90_minutes": _minutes(nearest_rank(c.durations, 90)),
        "people": str(len(c.people)),
        "outdated_revision_runs": str(c.runs_started - c.current_revision_runs),
        "training_coverage": "",
        **dict.fromkeys(SCHEDULE_COLUMNS, ""),
    }


def _scheduled(rows: list[AdherenceRow]) -> dict[str, str]:
    """The schedule columns of one SOP's day: its channels added up, then each channel."""
    on_time, late, missed = (
        sum(getattr(r, k) for r in rows) for k in ("on_time", "late", "missed")
    )
    expected = on_time + late + missed
    return {
        "scheduled_expected": str(expected),
        "scheduled_on_time": str(on_time),
        "scheduled_late": str(late),
        "scheduled_missed": str(missed),
        "schedule_adherence": _share(on_time / expected if expected else None),
        # Each channel's own figures: "#store-42 5/1/1" is on time / late / missed there.
        "schedule_by_channel": "; ".join(
            f"{r.channel} {r.on_time}/{r.late}/{r.missed}" for r in sorted(rows, key=_by_channel)
        ),
    }


def _by_channel(row: AdherenceRow) -> str:
    return row.channel


def export_rows(
    session: Session, *, workspace_id: int, tz: ZoneInfo, since: date, until: date, now: datetime
) -> Iterator[dict[str, str]]:
    """Rows from `since` to `until` (inclusive), oldest first; SOPs by slug, then the total.

    Lookups that led to no SOP appear only in the total. Training coverage (as of the day's
    end) is given in the total row only: per SOP and day it would need the audience then.
    """
    assignments = records.assignment_records(session, workspace_id=workspace_id)
    live = {s.slug for s in records.sop_infos(session, workspace_id=workspace_id)}
    coverage = CoverageHistory(assignments, live)
    start = since
    while start <= until:
        end = min(until, start + timedelta(days=CHUNK_DAYS - 1))
        rollups = kpi_rollups.daily(
            session, workspace_id=workspace_id, tz=tz, first=start, last=end, now=now
        )
        by_day: dict[date, list] = {}
        for r in rollups:
            by_day.setdefault(r.day, []).append(r)
        span = kpi_rollups.span(start, end, tz)
        scheduled: dict[tuple[date, str], list[ScheduledRecord]] = {}
        for record in scheduled_kpis.records(
            session, workspace_id=workspace_id, start=span.start, end=span.end
        ):
            key = (record.scheduled_for.astimezone(tz).date(), record.slug)
            scheduled.setdefault(key, []).append(record)
        for offset in range((end - start).days + 1):
            day = start + timedelta(days=offset)
            tally = kpi_rollups.tally_between(by_day.get(day, []), day, day)
            slugs = {k for k in tally.by_sop if k is not None}
            slugs |= {slug for (d, slug) in scheduled if d == day}
            for slug in sorted(slugs):
                row = _row(day, slug, tally.of(slug), now)
                if (day, slug) in scheduled:
                    row.update(_scheduled(adherence(scheduled[day, slug], now)))
                yield row
            total = _row(day, TOTAL, tally.total(), now)
            end_of_day = min(now, kpi_rollups.span(day, day, tz).end)
            total["training_coverage"] = _share(coverage.at(end_of_day))
            yield total
        start = end + timedelta(days=1)
