"""Time on each step: its median, and how it compares with the time the step says it takes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.durations import step_time_text
from bot.core.kpis.histogram import Distribution, Histogram, distribution, median, median_of, merge
from bot.core.kpis.tally import Counts

OVER_EXPECTED = 1.5  # a step's median at least this many times its expected time needs attention
MIN_PACE_RUNS = 5  # runs through the step with an expected time before the comparison counts


@dataclass(frozen=True, slots=True)
class StepPace:
    """A step's median time against its expected time, e.g. 2.4× its expected 5 min."""

    step: int
    times: float  # the median over runs of (time on the step ÷ its expected time then)
    expected_seconds: int  # the expected time most of those runs had (ties: the shorter)
    runs: int

    @property
    def over(self) -> bool:
        """At least OVER_EXPECTED times the expected time, over enough runs to say so."""
        return self.runs >= MIN_PACE_RUNS and self.times >= OVER_EXPECTED

    @property
    def text(self) -> str:
        """step 3 takes 2.4× its expected 5 min."""
        return f"step {self.step} takes {self.times:.1f}× its expected {self.expected}"

    @property
    def expected(self) -> str:
        """The expected time as written in messages: 5 min."""
        return step_time_text(self.expected_seconds)


def step_times(counts: Counts) -> dict[int, Histogram]:
    """Time on each step over every run, whatever its revision expected."""
    parts: dict[int, list[Histogram]] = {}
    for step, _, seconds in counts.step_seconds:
        parts.setdefault(step, []).append(seconds)
    return {step: h[0] if len(h) == 1 else merge(h) for step, h in parts.items()}


def step_medians(counts: Counts) -> dict[int, tuple[float, int]]:
    """Step -> (median seconds on it, runs with time on it)."""
    found = {}
    for step, h in step_times(counts).items():
        middle = median(h)
        if middle is not None:
            found[step] = (middle, sum(n for _, n in h))
    return found


def step_paces(counts: Counts) -> dict[int, StepPace]:
    """Step -> its pace, for steps that runs' revisions gave an expected time."""
    ratios: dict[int, Distribution] = {}
    runs_by_expected: dict[int, dict[int, int]] = {}
    for step, expected, seconds in counts.step_seconds:
        if expected > 0:
            ratios.setdefault(step, []).extend(distribution(seconds, scale=expected))
            by = runs_by_expected.setdefault(step, {})
            by[expected] = by.get(expected, 0) + sum(n for _, n in seconds)
    found = {}
    for step, d in ratios.items():
        times = median_of(sorted(d))
        if times is not None:
            by = runs_by_expected[step]
            shown = min(by, key=lambda e: (-by[e], e))
            found[step] = StepPace(step, times, shown, sum(by.values()))
    return found


def slowest_over_expected(paces: dict[int, StepPace]) -> StepPace | None:
    """The step furthest over its expected time, if any is (ties: the lower step)."""
    over = [p for p in paces.values() if p.over]
    return min(over, key=lambda p: (-p.times, p.step)) if over else None
