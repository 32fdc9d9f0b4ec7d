"""Hand-off KPIs: how long a step of a cast role waited between being posted and being taken."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core.kpis.fmt import minutes
from bot.core.kpis.stats import median
from bot.core.kpis.windows import Window

# A slowdown is named only with enough hand-offs on both sides and a real difference.
MIN_HANDOFFS = 3
SLOWER_RATIO = 1.5
SLOWER_SECONDS = 5 * 60


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    """One waiting step taken: the SOP, step and role, when it was taken and how long it waited."""

    slug: str
    title: str
    step: int
    role: str
    taken_at: datetime
    seconds: float


@dataclass(frozen=True, slots=True)
class RoleWait:
    """A role's hand-offs in a window: how many and their median wait."""

    role: str
    count: int
    median_seconds: float


@dataclass(frozen=True, slots=True)
class SopHandoffs:
    """An SOP's hand-offs in a window: per role, and the single slowest one."""

    slug: str
    title: str
    roles: tuple[RoleWait, ...]  # by role name
    slowest: HandoffRecord

    @property
    def count(self) -> int:
        return sum(r.count for r in self.roles)

    def lines(self) -> list[str]:
        """Plain-text lines for `/sop kpis SOP` and the digest text."""
        per_role = ", ".join(
            f"{r.role} {minutes(r.median_seconds / 60)} median ({r.count})" for r in self.roles
        )
        s = self.slowest
        return [
            f"Hand-off wait: {per_role}",
            f"Slowest hand-off: step {s.step} ({s.role}), {minutes(s.seconds / 60)}",
        ]


def handoff_kpis(records: Iterable[HandoffRecord], window: Window) -> dict[str, SopHandoffs]:
    """Per SOP, the hand-offs taken in `window` (start <= taken_at < end)."""
    by_sop: dict[str, list[HandoffRecord]] = {}
    for r in records:
        if window.start <= r.taken_at < window.end:
            by_sop.setdefault(r.slug, []).append(r)
    result = {}
    for slug, found in by_sop.items():
        roles: dict[str, list[float]] = {}
        for r in found:
            roles.setdefault(r.role, []).append(r.seconds)
        waits = tuple(RoleWait(role, len(v), median(v) or 0.0) for role, v in sorted(roles.items()))
        # Ties: the lower step, then the earlier hand-off.
        slowest = min(found, key=lambda r: (-r.seconds, r.step, r.taken_at))
        result[slug] = SopHandoffs(slug, found[0].title, waits, slowest)
    return result


@dataclass(frozen=True, slots=True)
class SlowerHandoffs:
    """An SOP whose median hand-off wait grew against the window before."""

    slug: str
    title: str
    median_seconds: float
    previous_median_seconds: float

    @property
    def text(self) -> str:
        now, was = minutes(self.median_seconds / 60), minutes(self.previous_median_seconds / 60)
        return f"{self.title}: hand-offs got slower, median wait {now} (was {was})"


def slower_handoffs(
    records: Iterable[HandoffRecord], window: Window, previous: Window
) -> tuple[SlowerHandoffs, ...]:
    """SOPs whose median wait rose by SLOWER_RATIO and SLOWER_SECONDS, slowest growth first."""
    records = list(records)
    now, before = _medians(records, window), _medians(records, previous)
    found = []
    for slug, (title, count, value) in now.items():
        if slug not in before:
            continue
        _, was_count, was = before[slug]
        if min(count, was_count) < MIN_HANDOFFS:
            continue
        if value >= was * SLOWER_RATIO and value - was >= SLOWER_SECONDS:
            found.append(SlowerHandoffs(slug, title, value, was))
    return tuple(
        sorted(found, key=lambda s: (s.previous_median_seconds - s.median_seconds, s.slug))
    )


def _medians(records: list[HandoffRecord], window: Window) -> dict[str, tuple[str, int, float]]:
    waits: dict[str, list[float]] = {}
    titles: dict[str, str] = {}
    for r in records:
        if window.start <= r.taken_at < window.end:
            waits.setdefault(r.slug, []).append(r.seconds)
            titles[r.slug] = r.title
    return {s: (titles[s], len(v), median(v) or 0.0) for s, v in waits.items()}
