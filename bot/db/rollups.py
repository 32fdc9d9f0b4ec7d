"""Daily KPI rollups in the database: Counts as JSON, the day markers, reading and replacing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.core.kpis import Counts, DailyRollup
from bot.db.digest import NEVER, NO_SOP, KpiRollup, KpiRollupDay
from bot.db.outbox import dialect_insert


def counts_to_json(c: Counts) -> dict[str, Any]:
    """A Counts as JSON; floats and ISO datetimes round-trip exactly."""
    return {
        "lookups": c.lookups,
        "misses": [list(m) for m in c.misses],
        "runs_started": c.runs_started,
        "runs_completed": c.runs_completed,
        "runs_abandoned": c.runs_abandoned,
        "open_started_at": [t.isoformat() for t in c.open_started_at],
        "people": sorted(c.people),
        "durations": list(c.durations),
        "step_seconds": [[step, list(seconds)] for step, seconds in c.step_seconds],
        "stops": [list(s) for s in c.stops],
        "current_revision_runs": c.current_revision_runs,
    }


def counts_from_json(d: dict[str, Any], *, light: bool = False) -> Counts:
    """The Counts `counts_to_json` stored (already in canonical, sorted form).

    `light` leaves out the per-query, per-step and per-run lists: enough for a trend's
    previous window, which needs only usage and completion.
    """
    if light:
        return Counts(
            lookups=d["lookups"],
            runs_started=d["runs_started"],
            runs_completed=d["runs_completed"],
            runs_abandoned=d["runs_abandoned"],
            open_started_at=tuple(datetime.fromisoformat(t) for t in d["open_started_at"]),
            people=frozenset(d["people"]),
            current_revision_runs=d["current_revision_runs"],
        )
    return Counts(
        lookups=d["lookups"],
        misses=tuple((q, n) for q, n in d["misses"]),
        runs_started=d["runs_started"],
        runs_completed=d["runs_completed"],
        runs_abandoned=d["runs_abandoned"],
        open_started_at=tuple(datetime.fromisoformat(t) for t in d["open_started_at"]),
        people=frozenset(d["people"]),
        # JSON keeps a float a float (60.0 stays 60.0), so the lists are used as they come.
        durations=tuple(d["durations"]),
        step_seconds=tuple((step, tuple(seconds)) for step, seconds in d["step_seconds"]),
        stops=tuple((s, n) for s, n in d["stops"]),
        current_revision_runs=d["current_revision_runs"],
    )


def rollup_days(
    session: Session, *, workspace_id: int, tz: str, first: date, last: date
) -> dict[date, KpiRollupDay]:
    """The days from `first` to `last` (inclusive) that have rollups, by day."""
    query = select(KpiRollupDay).where(
        KpiRollupDay.workspace_id == workspace_id,
        KpiRollupDay.tz == tz,
        KpiRollupDay.day >= first,
        KpiRollupDay.day <= last,
    )
    return {row.day: row for row in session.scalars(query)}


def read_rollups(
    session: Session,
    *,
    workspace_id: int,
    tz: str,
    days: list[date],
    light_before: date | None = None,
) -> list[DailyRollup]:
    """The stored rollups of `days`; light ones (see counts_from_json) before `light_before`."""
    if not days:
        return []
    query = select(KpiRollup.day, KpiRollup.sop, KpiRollup.counts).where(
        KpiRollup.workspace_id == workspace_id,
        KpiRollup.tz == tz,
        KpiRollup.day >= min(days),
        KpiRollup.day <= max(days),
    )
    wanted = set(days)
    light = light_before or date.min
    return [
        DailyRollup(day, sop or None, counts_from_json(counts, light=day < light))
        for day, sop, counts in session.execute(query)
        if day in wanted
    ]


def lock_rollup_day(session: Session, *, workspace_id: int, tz: str, day: date) -> KpiRollupDay:
    """The day's marker row, created if missing and locked for this transaction.

    Replicas roll up side by side: the upsert makes a second one wait here until the first
    commits, so it sees the fresh marker instead of inserting the same rollups again.
    """
    insert = dialect_insert(session, KpiRollupDay).values(
        workspace_id=workspace_id, tz=tz, day=day, built_at=NEVER, open_runs=-1
    )
    session.execute(
        insert.on_conflict_do_update(
            index_elements=["workspace_id", "tz", "day"], set_={"tz": insert.excluded.tz}
        )
    )
    session.expire_all()
    row = session.get(KpiRollupDay, (workspace_id, tz, day))
    assert row is not None
    return row


def write_rollups(
    session: Session,
    *,
    marker: KpiRollupDay,
    rollups: list[DailyRollup],
    now: datetime,
) -> int:
    """Replace the marker day's rollups with `rollups`; return how many rows were written."""
    session.execute(
        delete(KpiRollup).where(
            KpiRollup.workspace_id == marker.workspace_id,
            KpiRollup.tz == marker.tz,
            KpiRollup.day == marker.day,
        )
    )
    rows = [
        {
            "workspace_id": marker.workspace_id,
            "tz": marker.tz,
            "day": marker.day,
            "sop": r.sop or NO_SOP,
            "counts": counts_to_json(r.counts),
        }
        for r in rollups
        if r.day == marker.day
    ]
    if rows:
        session.execute(KpiRollup.__table__.insert(), rows)
    marker.built_at = now
    marker.open_runs = sum(len(r.counts.open_started_at) for r in rollups if r.day == marker.day)
    return len(rows)
