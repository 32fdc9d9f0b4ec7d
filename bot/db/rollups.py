"""Daily KPI rollups in the database: Counts as JSON, the day markers, reading and replacing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.core.kpis import Counts, DailyRollup
from bot.core.kpis.histogram import Times
from bot.core.kpis.people import People
from bot.core.kpis.starts import Starts, micros
from bot.db.digest import NEVER, NO_SOP, KpiPerson, KpiRollup, KpiRollupDay, KpiSpanRollup
from bot.db.outbox import dialect_insert

# `built_at` is set this long before the build: a run that read the clock just before and
# committed just after the build still counts as "finished since", so the day is rebuilt.
SETTLE = timedelta(minutes=5)
T = TypeVar("T")


def _times(stored: list[list[int]] | None) -> Times:
    # [buckets, counts]: two plain lists, which JSON parsers read without a Python loop
    return Times.from_json(*stored) if stored else Times()


def _people_json(people: People) -> dict[str, Any]:
    # A bitmap as wide as the highest number is parsed in one step, a list number by number
    # (~50 times slower each): a list only while it is that much shorter, so a row costs at
    # most about the workspace's width, however many people it holds.
    numbers = people.numbers()
    if not numbers:
        return {}
    if len(numbers) * 64 < numbers[-1]:
        return {"people_numbers": numbers}
    return {"people_bits": format(sum(1 << n for n in numbers), "x")}


def person_numbers(
    session: Session, *, workspace_id: int, users: set[str], day: date | None
) -> dict[str, int]:
    """User ID -> person number, for those of `users` that have one; with `day` (a rollup of
    that day is about to be stored), all of them, numbered and kept at least as long as it."""
    if not users:
        return {}
    ordered = sorted(users)
    for start in range(0, len(ordered) if day is not None else 0, 400):
        chunk = ordered[start : start + 400]
        rows = [{"workspace_id": workspace_id, "user_id": u, "last_day": day} for u in chunk]
        insert = dialect_insert(session, KpiPerson).values(rows)
        session.execute(insert.on_conflict_do_nothing(index_elements=["workspace_id", "user_id"]))
        session.execute(
            update(KpiPerson)
            .where(
                KpiPerson.workspace_id == workspace_id,
                KpiPerson.user_id.in_(chunk),
                KpiPerson.last_day < day,
            )
            .values(last_day=day)
        )
    found: dict[str, int] = {}
    for start in range(0, len(ordered), 500):  # a bounded IN list per query
        rows = session.execute(
            select(KpiPerson.user_id, KpiPerson.id).where(
                KpiPerson.workspace_id == workspace_id,
                KpiPerson.user_id.in_(ordered[start : start + 500]),
            )
        )
        found.update((user, number) for user, number in rows)
    return found


def prune_people(session: Session, *, workspace_id: int, before: date) -> int:
    """Delete person numbers last used before `before` that no stored rollup holds any more."""
    stale = set(
        session.scalars(
            select(KpiPerson.id).where(
                KpiPerson.workspace_id == workspace_id, KpiPerson.last_day < before
            )
        )
    )
    if not stale:
        return 0
    # Rollups kept for a run still open, or a day in another zone, may hold an old number;
    # so may a span summed from them.
    for table in (KpiRollup, KpiSpanRollup):
        for (counts,) in session.execute(
            select(table.counts).where(table.workspace_id == workspace_id)
        ):
            if "people_numbers" in counts or "people_bits" in counts:
                stale -= set(counts_from_json(counts).people.numbers())
    gone, ordered = 0, sorted(stale)
    for start in range(0, len(ordered), 500):  # a bounded IN list per statement
        chunk = ordered[start : start + 500]
        # last_day is checked again: a rollup stored meanwhile may have used the number.
        gone += session.execute(
            delete(KpiPerson).where(KpiPerson.id.in_(chunk), KpiPerson.last_day < before)
        ).rowcount
    return gone


def counts_to_json(c: Counts) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Counts as JSON: (totals, people and open runs; the per-query and per-step counts and
    the time histograms). ISO datetimes round-trip exactly."""
    totals = {
        "lookups": c.lookups,
        "runs_started": c.runs_started,
        "runs_completed": c.runs_completed,
        "runs_abandoned": c.runs_abandoned,
        "current_revision_runs": c.current_revision_runs,
        "open_started": c.open_started_at.micros(),  # microseconds since 1970
        "people": sorted(c.people.names()),  # old rows, stand-ins, or people not numbered
        **_people_json(c.people),
    }
    lists = {
        "misses": [list(m) for m in c.misses],
        "durations": c.durations.to_json(),
        "step_seconds": [[step, expected, t.to_json()] for step, expected, t in c.step_seconds],
        "stops": [list(s) for s in c.stops],
    }
    return totals, lists


def counts_from_json(totals: dict[str, Any], lists: dict[str, Any] | None = None) -> Counts:
    """The Counts `counts_to_json` stored (already in canonical, sorted form).

    Without `lists`, a light Counts: enough for a trend's previous window, which needs only
    usage and completion.
    """
    lists = lists or {}
    return Counts(
        lookups=totals["lookups"],
        misses=tuple((q, n) for q, n in lists.get("misses", ())),
        runs_started=totals["runs_started"],
        runs_completed=totals["runs_completed"],
        runs_abandoned=totals["runs_abandoned"],
        open_started_at=Starts(
            [totals["open_started"]]
            if "open_started" in totals
            else [sorted(micros(datetime.fromisoformat(t)) for t in totals["open_started_at"])]
        ),
        people=People(
            [totals["people"]],
            [totals.get("people_numbers", ())],
            int(totals.get("people_bits", "0"), 16),
        ),
        durations=_times(lists.get("durations")),
        step_seconds=tuple(
            (step, expected, _times(t)) for step, expected, t in lists.get("step_seconds", ())
        ),
        stops=tuple((s, n) for s, n in lists.get("stops", ())),
        current_revision_runs=totals["current_revision_runs"],
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
    """The stored rollups of `days`; light ones (see counts_from_json) before `light_before`.

    Light days are read without their lists column: most of a rollup's bytes stay unparsed.
    """
    light_before = light_before or date.min
    light = [d for d in days if d < light_before]
    full = [d for d in days if d >= light_before]
    found = []
    for group, columns in ((light, ()), (full, (KpiRollup.lists,))):
        if not group:
            continue
        query = select(KpiRollup.day, KpiRollup.sop, KpiRollup.counts, *columns).where(
            KpiRollup.workspace_id == workspace_id,
            KpiRollup.tz == tz,
            KpiRollup.day >= min(group),
            KpiRollup.day <= max(group),
        )
        wanted = set(group)
        found += [
            DailyRollup(row[0], row[1] or None, counts_from_json(*row[2:]))
            for row in session.execute(query)
            if row[0] in wanted
        ]
    return found


def lock_rollup_day(session: Session, *, workspace_id: int, tz: str, day: date) -> KpiRollupDay:
    """The day's marker row, created if missing and locked for this transaction.

    Replicas roll up side by side: the upsert makes a second one wait here until the first
    commits, so it sees the fresh marker instead of inserting the same rollups again.
    """
    key = {"workspace_id": workspace_id, "tz": tz, "day": day}
    return locked_marker(session, KpiRollupDay, key, built_at=NEVER, open_runs=-1)


def locked_marker(session: Session, model: type[T], key: dict[str, Any], **new: Any) -> T:
    """The `model` row of primary `key` (its columns in order), inserted with `new` if
    missing, and locked for this transaction (an upsert: a second writer waits for the first)."""
    insert = dialect_insert(session, model).values(**key, **new)
    first = next(iter(key))  # "updated" to itself: the conflict then locks the row
    session.execute(
        insert.on_conflict_do_update(index_elements=list(key), set_={first: insert.excluded[first]})
    )
    session.expire_all()
    row = session.get(model, tuple(key.values()))
    assert row is not None
    return row


def write_rollups(
    session: Session,
    *,
    marker: KpiRollupDay,
    rollups: list[DailyRollup],
    now: datetime,
    settled_until: datetime | None = None,
    settled_open: list[list[Any]] | None = None,
) -> int:
    """Replace the marker day's rollups with `rollups`; return how many rows were written.

    `settled_until` marks today's settled part, `settled_open` the runs open then (see
    kpi_rollups.roll_up_today).
    """
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
            **dict(zip(("counts", "lists"), counts_to_json(r.counts), strict=True)),
        }
        for r in rollups
        if r.day == marker.day
    ]
    if rows:
        session.execute(KpiRollup.__table__.insert(), rows)
    marker.built_at = now - SETTLE
    marker.settled_until = settled_until
    marker.settled_open = settled_open
    marker.revision = (marker.revision or 0) + 1  # spans summed from the old rows are unused
    marker.open_runs = sum(len(r.counts.open_started_at) for r in rollups if r.day == marker.day)
    return len(rows)


def mark_checked(
    session: Session, *, workspace_id: int, tz: str, days: list[date], now: datetime
) -> None:
    """Record that the days' rollups were found still exact at `now` (see SETTLE)."""
    if not days:
        return
    at = now - SETTLE
    session.execute(
        update(KpiRollupDay)
        .where(
            KpiRollupDay.workspace_id == workspace_id,
            KpiRollupDay.tz == tz,
            KpiRollupDay.day.in_(days),
            KpiRollupDay.built_at < at,
        )
        .values(built_at=at)
        .execution_options(synchronize_session=False)
    )
