"""Time on each step: its median, and how it compares with the time the step says it takes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.durations import step_time_text
from bot.core.kpis.histogram import Times, joined, median, value, weighted_median
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


def step_times(counts: Counts) -> dict[int, Times]:
    """Time on each step over every run, whatever its revision expected."""
    parts: dict[int, list[Times]] = {}
    for step, _, seconds in counts.step_seconds:
        parts.setdefault(step, []).append(seconds)
    return {step: t[0] if len(t) == 1 else joined(t) for step, t in parts.items()}


def step_medians(counts: Counts) -> dict[int, tuple[float, int]]:
    """Step -> (median seconds on it, runs with time on it)."""
    found = {}
    for step, t in step_times(counts).items():
        middle = median(t)
        if middle is not None:
            found[step] = (middle, len(t))
    return found


def step_paces(counts: Counts) -> dict[int, StepPace]:
    """Step -> its pace, for steps that runs' revisions gave an expected time."""
    timed: dict[int, list[tuple[int, Times]]] = {}
    for step, expected, seconds in counts.step_seconds:
        if expected > 0 and len(seconds):
            timed.setdefault(step, []).append((expected, seconds))
    found = {}
    for step, groups in timed.items():
        if len(groups) == 1:  # the usual case: one expected time, so a ratio of the median
            expected, seconds = groups[0]
            times = (median(seconds) or 0.0) / expected
        else:  # revisions that disagree: each run's time over its own expected time
            times = (
                weighted_median(
                    (value(b) / expected, n) for expected, t in groups for b, n in t.histogram()
                )
                or 0.0
            )
        runs = {e: len(t) for e, t in groups}
        shown = min(runs, key=lambda e: (-runs[e], e))
        found[step] = StepPace(step, times, shown, sum(runs.values()))
    return found


def slowest_over_expected(paces: dict[int, StepPace]) -> StepPace | None:
    """The step furthest over its expected time, if any is (ties: the lower step)."""
    over = [p for p in paces.values() if p.over]
    return min(over, key=lambda p: (-p.times, p.step)) if over else None
