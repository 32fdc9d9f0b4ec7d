"""The additive part of the KPIs: runs and lookups counted per SOP, from raw records or rollups.

Everything about a run is attributed to the day it started (a run from 23:50 to 00:20 is
started and completed on the first day). A `Counts` holds only what adds up exactly:
integers, per-query and per-step counters, the set of people, and the time histograms that
medians need (medians do not add up, histograms do; histogram.py says how precise they are).
Open runs keep their start times so the 24-hour eligibility rule can be decided later, at
the digest's `now`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from bot.core.kpis.histogram import Times, bucket, joined
from bot.core.kpis.people import People
from bot.core.kpis.records import LookupRecord, RunRecord
from bot.core.kpis.starts import Starts, micros
from bot.core.kpis.windows import Window, local_day

ELIGIBLE_AFTER = timedelta(hours=24)  # a younger open run is not yet a failure
ENDED = ("completed", "abandoned")  # a run of any other status is still open

_SPACE = re.compile(r"\s+")


def normalise_query(query: str) -> str:
    """A search as counted among content gaps: lower case, runs of whitespace as one space."""
    return _SPACE.sub(" ", query).strip().lower()


@dataclass(frozen=True, slots=True)
class Counts:
    """Runs and lookups of one SOP (or of no SOP) over some days; add with `+`.

    Canonical form (so equal data compares equal): every tuple is sorted. `step_seconds` is
    keyed by step and the expected seconds the run's revision gave it (0: none), so a step can
    be compared with the time each run was expected to take (docs/kpis.md).
    """

    lookups: int = 0
    misses: tuple[tuple[str, int], ...] = ()  # (normalised query, searches) by query
    runs_started: int = 0
    runs_completed: int = 0
    runs_abandoned: int = 0
    open_started_at: Starts = Starts()  # runs still active: eligible once 24 h old
    people: People = People()  # who looked up or started a run
    durations: Times = Times()  # seconds from start to finish of completed runs
    step_seconds: tuple[tuple[int, int, Times], ...] = ()  # (step, expected, seconds)
    stops: tuple[tuple[int, int], ...] = ()  # step -> abandoned runs that stopped there
    current_revision_runs: int = 0  # the rest of runs_started used an outdated revision

    def eligible_runs(self, now: datetime) -> int:
        """Runs that count for the completion rate at `now`: finished, or open over 24 hours."""
        cutoff = now - ELIGIBLE_AFTER
        old_open = self.open_started_at.before(cutoff)
        return self.runs_completed + self.runs_abandoned + old_open

    def completion_rate(self, now: datetime) -> float | None:
        """Completed / eligible runs at `now`; None when no run is eligible."""
        eligible = self.eligible_runs(now)
        return self.runs_completed / eligible if eligible else None

    def __add__(self, other: Counts) -> Counts:
        return merge_counts((self, other))


EMPTY = Counts()


def merge_counts(parts: Iterable[Counts]) -> Counts:
    """The sum of several Counts, sorting each merged list once."""
    parts = tuple(parts)
    if len(parts) == 1:
        return parts[0]  # already canonical: a week's single-day SOPs need no copy
    builder = _Builder()
    for part in parts:
        builder.absorb(part)
    return builder.freeze()


class _Builder:
    """A mutable Counts while records stream in (one pass, no per-record sorting)."""

    __slots__ = (
        "lookups", "misses", "started", "completed", "abandoned", "open_started_at", "open_parts",
        "people", "numbers", "people_parts", "durations", "duration_parts", "step_seconds",
        "step_parts", "stops", "current",
    )  # fmt: skip

    def __init__(self) -> None:
        self.lookups = 0
        self.misses: dict[str, int] = {}
        self.started = self.completed = self.abandoned = self.current = 0
        self.open_started_at: list[int] = []  # from records: microseconds since 1970
        self.open_parts: list[Starts] = []  # from Counts
        self.people: set[str] = set()  # from records
        self.numbers: set[int] = set()  # person numbers, from kept open runs
        self.people_parts: list[People] = []  # from Counts, united when counted
        # Records add into bucket -> runs dicts; Counts only add their Times' parts (no merging).
        self.durations: dict[int, int] = {}
        self.duration_parts: list[Times] = []
        self.step_seconds: dict[tuple[int, int], dict[int, int]] = {}  # (step, expected) ->
        self.step_parts: dict[tuple[int, int], list[Times]] = {}
        self.stops: dict[int, int] = {}

    def add_run(self, run: RunRecord) -> None:
        status = run.status
        if status not in ENDED:
            self.add_open(run.user, micros(run.started_at), run.is_current_revision)
            return
        self._started(run.user, run.is_current_revision)
        if status == "completed":
            self.completed += 1
            if run.finished_at is not None:
                b = bucket((run.finished_at - run.started_at).total_seconds())
                self.durations[b] = self.durations.get(b, 0) + 1
        else:
            self.abandoned += 1
            step = run.stopped_at_step if run.stopped_at_step is not None else run.current_step
            self.stops[step] = self.stops.get(step, 0) + 1
        per_step, expected = self.step_seconds, run.expected_seconds
        for step, seconds in run.step_seconds.items():
            key = (step, expected.get(step, 0))
            found = per_step.get(key)
            if found is None:
                found = per_step[key] = {}
            b = bucket(seconds)
            found[b] = found.get(b, 0) + 1

    def add_open(self, person: str | int, started: int, is_current: bool) -> None:
        """A run still open, by a user ID or person number, started at `started` (microseconds
        since 1970): all it adds until it ends (its step times count once it does)."""
        self._started(person, is_current)
        self.open_started_at.append(started)

    def _started(self, person: str | int, is_current: bool) -> None:
        self.started += 1
        if type(person) is int:
            self.numbers.add(person)
        else:
            self.people.add(person)
        self.current += is_current

    def add_lookup(self, lookup: LookupRecord) -> None:
        self.lookups += 1
        self.people.add(lookup.user)
        if not lookup.hit:
            query = normalise_query(lookup.query)
            if query:
                self.misses[query] = self.misses.get(query, 0) + 1

    def absorb(self, c: Counts) -> None:
        self.lookups += c.lookups
        for query, n in c.misses:
            self.misses[query] = self.misses.get(query, 0) + n
        self.started += c.runs_started
        self.completed += c.runs_completed
        self.abandoned += c.runs_abandoned
        self.current += c.current_revision_runs
        self.open_parts.append(c.open_started_at)
        self.people_parts.append(c.people)
        self.duration_parts.append(c.durations)
        parts = self.step_parts
        for step, expected, seconds in c.step_seconds:
            found = parts.get((step, expected))
            if found is None:
                parts[(step, expected)] = [seconds]
            else:
                found.append(seconds)
        for step, n in c.stops:
            self.stops[step] = self.stops.get(step, 0) + n

    def freeze(self) -> Counts:
        return Counts(
            lookups=self.lookups,
            misses=tuple(sorted(self.misses.items())),
            runs_started=self.started,
            runs_completed=self.completed,
            runs_abandoned=self.abandoned,
            open_started_at=Starts.joined(
                [*self.open_parts, Starts([sorted(self.open_started_at)])]
            ),
            people=People.joined([*self.people_parts, People([self.people], [self.numbers])]),
            durations=_times(self.durations, self.duration_parts),
            step_seconds=tuple(
                (step, expected, _times(self.step_seconds.get(key, {}), self.step_parts.get(key)))
                for key in sorted(self.step_seconds.keys() | self.step_parts.keys())
                for step, expected in [key]
            ),
            stops=tuple(sorted(self.stops.items())),
            current_revision_runs=self.current,
        )


def _times(counts: dict[int, int], parts: list[Times] | None) -> Times:
    found = joined(parts) if parts else Times()
    return found + Times.from_counts(counts) if counts else found


@dataclass(frozen=True)
class Tally:
    """Counts per SOP slug for one window; key None holds lookups that led to no SOP."""

    by_sop: Mapping[str | None, Counts] = field(default_factory=dict)

    def of(self, sop: str | None) -> Counts:
        """The counts of one SOP (empty if it had no activity)."""
        return self.by_sop.get(sop, EMPTY)

    def total(self) -> Counts:
        """All SOPs and unattributed lookups together (people counted once)."""
        return merge_counts(self.by_sop.values())

    def headline(self) -> Counts:
        """The totals of runs and lookups only (no people, no lists): cheap, for a headline."""
        parts = self.by_sop.values()
        return Counts(
            lookups=sum(c.lookups for c in parts),
            runs_started=sum(c.runs_started for c in parts),
            runs_completed=sum(c.runs_completed for c in parts),
            runs_abandoned=sum(c.runs_abandoned for c in parts),
            open_started_at=Starts.joined(c.open_started_at for c in parts),
            current_revision_runs=sum(c.current_revision_runs for c in parts),
        )

    def __add__(self, other: Tally) -> Tally:
        return _merge_tallies((self.by_sop.items(), other.by_sop.items()))


def _merge_tallies(groups: Iterable[Iterable[tuple[str | None, Counts]]]) -> Tally:
    parts: dict[str | None, list[Counts]] = {}
    for group in groups:
        for sop, counts in group:
            parts.setdefault(sop, []).append(counts)
    return Tally({sop: merge_counts(p) for sop, p in parts.items()})


def tally(*, runs: Iterable[RunRecord], lookups: Iterable[LookupRecord], window: Window) -> Tally:
    """Count the runs started and lookups made in `window`, per SOP, in one pass."""
    start, end = window.start, window.end
    builders: dict[str | None, _Builder] = {}
    for run in runs:
        if start <= run.started_at < end:
            builder = builders.get(run.sop)
            if builder is None:
                builder = builders[run.sop] = _Builder()
            builder.add_run(run)
    for lookup in lookups:
        if start <= lookup.at < end:
            builder = builders.get(lookup.sop)
            if builder is None:
                builder = builders[lookup.sop] = _Builder()
            builder.add_lookup(lookup)
    return Tally({sop: b.freeze() for sop, b in builders.items()})


@dataclass(frozen=True, slots=True)
class DailyRollup:
    """The counts of one SOP (None: lookups that led to no SOP) on one local day.

    Built once the day is over; rebuild it while `counts.open_started_at` is not empty,
    because an open run that later finishes changes the day's completion. With `first`, the
    sum of the days from `first` to `day` (a span: one row where a window reads many). A day
    read in parts (today: its settled part, the rest read raw, the runs kept open) numbers
    them in `part`; `combine` adds them.
    """

    day: date
    sop: str | None
    counts: Counts
    first: date | None = None
    part: int = 0

    @property
    def since(self) -> date:
        """The first day counted: `first` for a span, else `day`."""
        return self.first or self.day


def daily_rollups(
    *, runs: Iterable[RunRecord], lookups: Iterable[LookupRecord], tz: tzinfo
) -> list[DailyRollup]:
    """One rollup per (local day in `tz`, SOP) that had activity, sorted by day then SOP."""
    builders: dict[tuple[date, str | None], _Builder] = {}
    for run in runs:
        key = (local_day(run.started_at, tz), run.sop)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = _Builder()
        builder.add_run(run)
    for lookup in lookups:
        key = (local_day(lookup.at, tz), lookup.sop)
        builder = builders.get(key)
        if builder is None:
            builder = builders[key] = _Builder()
        builder.add_lookup(lookup)
    keys = sorted(builders, key=lambda k: (k[0], k[1] is not None, k[1] or ""))
    return [DailyRollup(day, sop, builders[(day, sop)].freeze()) for day, sop in keys]


def open_run_rollups(
    day: date, runs: Iterable[tuple[str, str | int, int, bool]]
) -> list[DailyRollup]:
    """The rollups of runs still open on `day`, each given as (SOP, user ID or person number,
    start in microseconds since 1970, on the current revision): what `daily_rollups` makes of
    their records, without the records."""
    builders: dict[str, _Builder] = {}
    for sop, user, started, is_current in runs:
        builder = builders.get(sop)
        if builder is None:
            builder = builders[sop] = _Builder()
        builder.add_open(user, started, is_current)
    return [DailyRollup(day, sop, builders[sop].freeze()) for sop in sorted(builders)]


def combine(rollups: Iterable[DailyRollup]) -> Tally:
    """The Tally of the days the given rollups cover (the caller picks the days).

    `combine(rollups_of_closed_days) + tally(today's records)` equals the tally of all raw
    records over the same window, when the rollups were built in the windows' time zone.
    A (day, SOP, part) given twice (an old and a rebuilt rollup) would count twice: refused.
    """
    seen: set[tuple[date, str | None, int]] = set()
    parts: list[tuple[str | None, Counts]] = []
    for r in rollups:
        key = (r.day, r.sop, r.part)
        if key in seen:
            raise ValueError(f"two rollups for {r.sop or 'no SOP'} on {r.day}: keep the newer")
        seen.add(key)
        parts.append((r.sop, r.counts))
    return _merge_tallies([parts])
