"""Scheduled-run adherence per SOP and channel, its streaks, and what they cost an SOP's health.

docs/kpis.md defines each number: a scheduled run is *on time* when its run was completed by its
due time, *late* when completed after it, *missed* when sopbot was down past its due time or it
was still not completed MISSED_AFTER after its due time; until then it is *open* and not counted.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bot.core.kpis.fmt import percent, plural
from bot.core.kpis.health import Reason
from bot.core.kpis.measures import Health, Penalty, SopKpis

Outcome = Literal["on_time", "late", "missed", "open"]
MISSED_AFTER = timedelta(hours=12)
STREAK_FROM = 2  # this many late or missed in a row (the latest ones) cost health
STREAK_POINTS = 5  # per run in the streak
STREAK_CAP = 20


@dataclass(frozen=True, slots=True)
class ScheduledRecord:
    """One scheduled run as the KPIs need it."""

    slug: str
    title: str
    channel: str  # as the schedule entry wrote it
    scheduled_for: datetime
    due_at: datetime
    never_started: bool  # recorded missed (downtime) or no channel
    completed_at: datetime | None


def outcome(r: ScheduledRecord, now: datetime) -> Outcome:
    """On time, late, missed, or still open at `now`."""
    if r.never_started:
        return "missed"
    if r.completed_at is not None:
        return "on_time" if r.completed_at <= r.due_at else "late"
    return "missed" if now >= r.due_at + MISSED_AFTER else "open"


@dataclass(frozen=True, slots=True)
class AdherenceRow:
    """One SOP in one channel over a window."""

    slug: str
    title: str
    channel: str
    on_time: int = 0
    late: int = 0
    missed: int = 0
    open: int = 0
    streak: tuple[Outcome, int] | None = None  # the latest late/missed run of a run, if any

    @property
    def expected(self) -> int:
        """Scheduled runs decided so far (on time, late or missed)."""
        return self.on_time + self.late + self.missed

    @property
    def rate(self) -> float | None:
        """Adherence: on time / expected."""
        return self.on_time / self.expected if self.expected else None

    def line(self) -> str:
        """Close the till in #store-42: 5 of 7 on time, 1 late, 1 missed (plain text)."""
        return (
            f"{self.title} in {self.channel}: {self.on_time} of {self.expected} on time, "
            f"{self.late} late, {self.missed} missed ({percent(self.rate)})"
        )

    def streak_text(self) -> str:
        """ "3 scheduled runs in a row late or missed in #store-42"."""
        assert self.streak is not None
        kind, count = self.streak
        what = "missed" if kind == "missed" else "late or missed"
        return f"{plural(count, 'scheduled run')} in a row {what} in {self.channel}"


def adherence(records: Iterable[ScheduledRecord], now: datetime) -> list[AdherenceRow]:
    """Rows per SOP and channel (by slug, then channel), with the latest streak."""
    grouped: dict[tuple[str, str], list[ScheduledRecord]] = {}
    for r in records:
        grouped.setdefault((r.slug, r.channel), []).append(r)
    rows = []
    for (slug, channel), found in sorted(grouped.items()):
        found.sort(key=lambda r: r.scheduled_for)
        outcomes = [outcome(r, now) for r in found]
        counts = {k: outcomes.count(k) for k in ("on_time", "late", "missed", "open")}
        rows.append(
            AdherenceRow(slug, found[-1].title, channel, **counts, streak=_streak(outcomes))
        )
    return rows


def _streak(outcomes: Sequence[Outcome]) -> tuple[Outcome, int] | None:
    decided = [o for o in outcomes if o != "open"]
    count = 0
    for o in reversed(decided):
        if o == "on_time":
            break
        count += 1
    if count < STREAK_FROM:
        return None
    tail = decided[-count:]
    return ("missed" if all(o == "missed" for o in tail) else "late", count)


def streak_penalty(rows: Iterable[AdherenceRow]) -> Penalty | None:
    """The health penalty of an SOP's worst streak (over its channels), with that reason."""
    worst = max((r for r in rows if r.streak), key=lambda r: r.streak[1], default=None)  # type: ignore[index]
    if worst is None or worst.streak is None:
        return None
    points = min(STREAK_CAP, STREAK_POINTS * worst.streak[1])
    return Penalty("schedule", points, worst.streak_text())


def with_streaks(sops: Mapping[str, SopKpis], rows: Sequence[AdherenceRow]) -> dict[str, SopKpis]:
    """The SOPs' KPIs with a late/missed streak taken off their health, named as the why."""
    by_slug: dict[str, list[AdherenceRow]] = {}
    for r in rows:
        by_slug.setdefault(r.slug, []).append(r)
    result = dict(sops)
    for slug, k in sops.items():
        penalty = streak_penalty(by_slug.get(slug, ()))
        if penalty is not None:
            result[slug] = dataclasses.replace(k, health=_lowered(k.health, penalty))
    return result


def _lowered(h: Health, penalty: Penalty) -> Health:
    score = max(0, min(100, math.floor(h.score - penalty.points + 0.5)))
    ranked = sorted((*h.penalties, penalty), key=lambda p: -p.points)
    return dataclasses.replace(h, score=score, why=ranked[0].text, penalties=tuple(ranked))


def with_streak_reasons(
    reasons: Sequence[Reason], sops: Mapping[str, SopKpis], rows: Sequence[AdherenceRow]
) -> tuple[Reason, ...]:
    """The digest's attention list with each SOP's current health and its streak as a reason."""
    by_slug: dict[str, list[AdherenceRow]] = {}
    for r in rows:
        by_slug.setdefault(r.slug, []).append(r)
    chosen: dict[str, Reason] = {}
    for r in reasons:
        health = sops[r.slug].health.score if r.slug in sops else r.health
        chosen[r.slug] = dataclasses.replace(r, health=health)
    for slug, found in by_slug.items():
        penalty = streak_penalty(found)
        if penalty is None or slug not in sops:
            continue
        k = sops[slug]
        if slug not in chosen or k.health.why == penalty.text:
            streak = max(f.streak[1] for f in found if f.streak)
            chosen[slug] = Reason(slug, k.title, k.health.score, "schedule", streak, penalty.text)
    return tuple(sorted(chosen.values(), key=lambda r: (r.health, r.slug)))
