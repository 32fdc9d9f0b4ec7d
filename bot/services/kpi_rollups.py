"""Daily KPI rollups: fold finished days into `kpi_rollups`, and read days back exactly.

A finished day's runs and lookups never change, except that a run still open when its day
was rolled up may finish later, and a newer revision may make an open run's revision
outdated. So a day is rebuilt only while it had open runs and one of those things happened
since it was built; every reader uses a day's rollups only when they are still exact, and
raw records otherwise (days not rolled up yet, days gone stale).

Today is read from its settled part where the hourly job built one (`roll_up_today`: the
runs finished and the lookups made before a moment, which never change again, and the runs
open then) plus the raw rest, so `/sop kpis` reads minutes of raw records, not a whole busy
day's.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.kpis import (
    DailyRollup,
    Tally,
    Window,
    combine,
    daily_rollups,
    day_window,
    local_day,
    open_run_rollups,
)
from bot.db import rollups as store
from bot.db import spans as span_store
from bot.db.digest import KpiRollupDay
from bot.db.models import Event, Revision, Run, SopRecord
from bot.services.kpi_records import (
    RevisionTimes,
    lookup_records,
    open_runs,
    run_records,
)

log = logging.getLogger(__name__)

REBUILD_TODAY = timedelta(minutes=30)  # the hourly job rebuilds it; a replica need not again
HORIZON_DAYS = 62  # the longest window read (/sop kpis 30d) and the 30 days before it


@dataclass(frozen=True)
class RollupReport:
    """What one rollup pass did."""

    built: tuple[date, ...]
    rows: int
    spans: tuple[tuple[date, date], ...] = ()  # spans summed (bot/services/kpi_spans.py)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def span(first: date, last: date, tz: ZoneInfo) -> Window:
    """From `first`'s local midnight to the midnight after `last`."""
    return Window(day_window(first, tz).start, day_window(last, tz).end)


def numbered(
    session: Session,
    *,
    workspace_id: int,
    rollups: list[DailyRollup],
    create: bool,
    known: Mapping[str, int] | None = None,
) -> list[DailyRollup]:
    """The rollups with their people's user IDs as person numbers, so that rollups built from
    records add up with stored ones (`create`: number the new people too, to store them;
    `known`: numbers already looked up, not asked for again).

    Read after the stored rollups: a number in them was committed before this look-up.
    """
    known = known or {}
    users: set[str] = set()
    for r in rollups:
        users |= r.counts.people.names()
    day = max((r.day for r in rollups), default=None) if create else None
    numbers = {u: known[u] for u in users if u in known}
    numbers |= store.person_numbers(
        session, workspace_id=workspace_id, users=users - numbers.keys(), day=day
    )
    if not numbers:
        return rollups
    return [
        replace(r, counts=replace(r.counts, people=r.counts.people.numbered(numbers)))
        if r.counts.people.has_names()
        else r
        for r in rollups
    ]


def raw_rollups(
    session: Session, *, workspace_id: int, tz: ZoneInfo, first: date, last: date, now: datetime
) -> list[DailyRollup]:
    """The days' rollups computed from the raw runs and lookups (nothing stored)."""
    window = span(first, last, tz)
    runs = run_records(session, workspace_id=workspace_id, window=window, now=now)
    lookups = lookup_records(session, workspace_id=workspace_id, window=window)
    rollups = daily_rollups(runs=runs, lookups=lookups, tz=tz)
    return numbered(session, workspace_id=workspace_id, rollups=rollups, create=False)


def stale_days(
    session: Session,
    *,
    workspace_id: int,
    tz: ZoneInfo,
    markers: dict[date, KpiRollupDay],
) -> set[date]:
    """Days whose stored rollups no longer match the raw records (an open run moved on)."""
    watched = {day: m for day, m in markers.items() if m.open_runs > 0}
    if not watched:
        return set()
    oldest = min(m.built_at for m in watched.values())
    stale: set[date] = set()
    # Only runs finished since the oldest check (ix_runs_finished_at): the hourly job keeps
    # that recent, so this reads the last hour's finishes, not every run of the days.
    finished = session.execute(
        select(Run.started_at, Run.finished_at).where(
            Run.workspace_id == workspace_id, Run.finished_at >= oldest
        )
    )
    for started, ended in finished:
        day = local_day(started, tz)
        if day in watched and ended >= watched[day].built_at:
            stale.add(day)
    published = session.scalar(
        select(func.max(Revision.published_at))
        .join(SopRecord, SopRecord.id == Revision.sop_id)
        .where(SopRecord.workspace_id == workspace_id, Revision.published_at >= oldest)
    )
    if published is not None:
        # A newer revision turns an open run's revision outdated; rare, so no finer check.
        stale |= {day for day, m in watched.items() if m.built_at <= published}
    return stale


def whole(marker: KpiRollupDay) -> bool:
    """The marker of a whole day's rollups (not a day never built, nor today's settled part)."""
    return marker.open_runs >= 0 and marker.settled_until is None


def unsettled_rollups(
    session: Session,
    *,
    workspace_id: int,
    tz: ZoneInfo,
    day: date,
    since: datetime,
    now: datetime,
    kept_open: list | None = None,
) -> list[DailyRollup]:
    """The day's rollups from what its settled part leaves out: runs not finished before
    `since` (open ones too) and lookups made from `since` on, as part 1 (and part 2, below).

    `kept_open` (the runs open at `since`, as the settled part kept them): those still open
    come from it as part 2, so only the runs finished or started since are read from the runs
    table, not every run of the day (a busy day has hundreds open), and their people's numbers
    kept with them are not looked up again.
    """
    window = day_window(day, tz)
    still: list[DailyRollup] = []
    known: dict[str, int] = {}
    if kept_open is None:
        runs = run_records(
            session, workspace_id=workspace_id, window=window, now=now, unsettled_at=since
        )
    else:
        revisions = RevisionTimes(session)
        before, after = Window(window.start, since), Window(since, window.end)
        runs = run_records(session, workspace_id=workspace_id, window=before, now=now,
                           revisions=revisions, ended_since=since)  # fmt: skip
        done = {r.run_id for r in runs}
        runs += run_records(
            session, workspace_id=workspace_id, window=after, now=now, revisions=revisions
        )
        # A part built before person numbers were kept has six fields per run: user IDs.
        known = {run[4]: run[6] for run in kept_open if len(run) > 6}
        newest = {sop_id: revisions.newest_at(sop_id, now) for sop_id in {r[2] for r in kept_open}}
        still = open_run_rollups(
            day,
            (
                (slug, person[0] if person else user, started, newest[sop_id] <= number)
                for run_id, slug, sop_id, number, user, started, *person in kept_open
                if run_id not in done
            ),
        )
    lookups = lookup_records(
        session, workspace_id=workspace_id, window=Window(max(since, window.start), window.end)
    )
    rollups = [replace(r, part=1) for r in daily_rollups(runs=runs, lookups=lookups, tz=tz)]
    rollups += [replace(r, part=2) for r in still]
    return numbered(session, workspace_id=workspace_id, rollups=rollups, create=False, known=known)


def daily(
    session: Session,
    *,
    workspace_id: int,
    tz: ZoneInfo,
    first: date,
    last: date,
    now: datetime,
    light_before: date | None = None,
    spans: Sequence[tuple[date, date]] = (),
) -> list[DailyRollup]:
    """Rollups of every day from `first` to `last`: stored where exact, raw elsewhere; today
    in parts where its settled part is stored (`combine` adds them).

    Stored days before `light_before` come without their per-run lists (a trend's previous
    window needs only usage and completion), which halves the work of reading them. `spans`
    are ranges of days the caller tallies only whole: an exact stored span of one of them
    comes as one rollup per SOP instead of its days' (see kpi_spans).
    """
    today = local_day(now, tz)
    markers = store.rollup_days(
        session, workspace_id=workspace_id, tz=str(tz), first=first, last=last
    )
    usable = {d: m for d, m in markers.items() if d < today and whole(m)}
    usable_days = set(usable) - stale_days(
        session, workspace_id=workspace_id, tz=tz, markers=usable
    )
    settled = markers.get(today)
    since = settled.settled_until if settled is not None and first <= today <= last else None
    kept_open = settled.settled_open if since is not None else None
    found, covered = span_store.usable(
        session,
        workspace_id=workspace_id,
        tz=str(tz),
        ranges=[r for r in spans if first <= r[0] and r[1] <= last],
        days=markers,
        exact=usable_days,
        light_before=light_before or date.min,
    )
    found += store.read_rollups(
        session,
        workspace_id=workspace_id,
        tz=str(tz),
        days=sorted((usable_days - covered) | ({today} if since else set())),
        light_before=light_before,
    )
    if since is not None:
        found += unsettled_rollups(
            session,
            workspace_id=workspace_id,
            tz=tz,
            day=today,
            since=since,
            now=now,
            kept_open=kept_open,
        )
        usable_days.add(today)
    missing = [d for d in _days(first, last) if d not in usable_days and d not in covered]
    # Consecutive missing days are read in one query (typically: today, or all on a new install).
    start = None
    for index, day in enumerate(missing):
        start = start or day
        following = missing[index + 1] if index + 1 < len(missing) else None
        if following != day + timedelta(days=1):
            found += raw_rollups(
                session, workspace_id=workspace_id, tz=tz, first=start, last=day, now=now
            )
            start = None
    return found


def tally_between(rollups: list[DailyRollup], first: date, last: date) -> Tally:
    """The Tally of the days from `first` to `last` among `rollups`."""
    inside = []
    for r in rollups:
        if r.since <= last and r.day >= first:  # some of its days are in the window...
            if r.since < first or r.day > last:  # ...but a span's days cannot be split
                raise ValueError(f"a span of rollups crosses {first} to {last}: read its days")
            inside.append(r)
    return combine(inside)


def first_activity(session: Session, *, workspace_id: int) -> datetime | None:
    """When the first run or lookup happened."""
    run = session.scalar(select(func.min(Run.started_at)).where(Run.workspace_id == workspace_id))
    event = session.scalar(
        select(func.min(Event.at)).where(
            Event.workspace_id == workspace_id, Event.kind.in_(("lookup", "lookup_miss"))
        )
    )
    return min((t for t in (run, event) if t is not None), default=None)


def roll_up_day(
    session: Session, *, workspace_id: int, tz: ZoneInfo, day: date, now: datetime
) -> int | None:
    """Build one finished day's rollups unless they are already exact; rows written or None."""
    if day >= local_day(now, tz):
        raise ValueError(f"{day} is not over yet in {tz}; only finished days are rolled up")
    marker = store.lock_rollup_day(session, workspace_id=workspace_id, tz=str(tz), day=day)
    if whole(marker) and not stale_days(
        session, workspace_id=workspace_id, tz=tz, markers={day: marker}
    ):
        return None  # another process built it a moment ago, or nothing changed
    window = day_window(day, tz)
    revisions = RevisionTimes(session)
    runs = run_records(
        session, workspace_id=workspace_id, window=window, now=now, revisions=revisions
    )
    lookups = lookup_records(session, workspace_id=workspace_id, window=window)
    rollups = daily_rollups(runs=runs, lookups=lookups, tz=tz)
    rollups = numbered(session, workspace_id=workspace_id, rollups=rollups, create=True)
    return store.write_rollups(session, marker=marker, rollups=rollups, now=now)


def days_to_roll(session: Session, *, workspace_id: int, tz: ZoneInfo, now: datetime) -> list[date]:
    """Finished days within the horizon that have no rollups yet or whose rollups went stale.

    Days with open runs found still exact are marked checked, so the next staleness check
    only has to look at runs finished after now.
    """
    yesterday = local_day(now, tz) - timedelta(days=1)
    began = first_activity(session, workspace_id=workspace_id)
    if began is None:
        return []
    first = max(local_day(began, tz), yesterday - timedelta(days=HORIZON_DAYS - 1))
    if first > yesterday:
        return []
    markers = store.rollup_days(
        session, workspace_id=workspace_id, tz=str(tz), first=first, last=yesterday
    )
    built = {d: m for d, m in markers.items() if whole(m)}
    stale = stale_days(session, workspace_id=workspace_id, tz=tz, markers=built)
    checked = [d for d, m in built.items() if m.open_runs > 0 and d not in stale]
    store.mark_checked(session, workspace_id=workspace_id, tz=str(tz), days=checked, now=now)
    return [d for d in _days(first, yesterday) if d not in built or d in stale]


def roll_up_today(
    session: Session, *, workspace_id: int, tz: ZoneInfo, now: datetime
) -> int | None:
    """Build today's settled part: the runs finished and lookups made before `now` - SETTLE.

    What finished before then never changes, so the part stays exact all day (the rest is
    read raw). Rebuilt at most every REBUILD_TODAY; rows written, or None when skipped.
    """
    today = local_day(now, tz)
    until = now - store.SETTLE
    window = day_window(today, tz)
    if until <= window.start:
        return None
    marker = store.lock_rollup_day(session, workspace_id=workspace_id, tz=str(tz), day=today)
    if marker.settled_until is not None and until - marker.settled_until < REBUILD_TODAY:
        return None
    settled = Window(window.start, until)
    runs = run_records(
        session, workspace_id=workspace_id, window=settled, now=now, finished_before=until
    )
    lookups = lookup_records(session, workspace_id=workspace_id, window=settled)
    rollups = daily_rollups(runs=runs, lookups=lookups, tz=tz)
    kept_open = open_runs(session, workspace_id=workspace_id, window=window, at=until)
    # The open runs' people are numbered now and kept with them (a seventh field after
    # open_runs' six): a reader then looks up only the people of the minutes since.
    users = {run[4] for run in kept_open}
    known = store.person_numbers(session, workspace_id=workspace_id, users=users, day=today)
    kept_open = [[*run, known[run[4]]] for run in kept_open]
    rollups = numbered(
        session, workspace_id=workspace_id, rollups=rollups, create=True, known=known
    )
    return store.write_rollups(session, marker=marker, rollups=rollups, now=now,
                               settled_until=until, settled_open=kept_open)  # fmt: skip
