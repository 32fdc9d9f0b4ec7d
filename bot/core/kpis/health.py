"""SOP health: 100 minus capped penalties, the weakest step, and who needs attention.

score = 100 - completion - coverage - stale - misses - weakest step, clamped to 0..100 and
rounded half up. Every factor's points are capped so no single factor decides alone;
docs/kpis.md explains each weight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.core.kpis.fmt import percent, plural
from bot.core.kpis.measures import Health, Penalty, SopKpis, Staleness
from bot.core.kpis.stats import median
from bot.core.kpis.steps import StepPace

# SOP-level factors
COMPLETION_WEIGHT = 60  # points per whole of runs not completed: 90% -> 6, 50% -> 30
COMPLETION_CAP = 30
COVERAGE_WEIGHT = 50  # points per whole of the audience not trained: 62% -> 19
COVERAGE_CAP = 25
STALE_POINTS = 10  # as soon as an SOP is stale...
STALE_DAYS_PER_POINT = 10  # ...plus one point per 10 days past due
STALE_CAP = 15
MISS_POINTS = 2  # per search that found nothing and shares a word with title or tags
MISS_CAP = 10
# step-level factors; only the weakest step's sum counts
QUIZ_WEIGHT = 15  # points per whole of first answers wrong on the step's questions
QUIZ_CAP = 15
PROBLEM_POINTS = 5  # per open problem reported on the step
PROBLEM_CAP = 15
DROP_OFF_WEIGHT = 50  # points per whole of eligible runs abandoned at the step
DROP_OFF_CAP = 15
SLOW_FROM = 1.5  # step median / the SOP's median step time above which a step is slow
SLOW_POINTS_PER_RATIO = 5  # 2x -> 2.5, 3x -> 7.5
SLOW_CAP = 10
EXPECTED_POINTS_PER_RATIO = 5  # step median / its expected time, from 1×: 1.5x -> 2.5, 3x -> 10
EXPECTED_CAP = 10
STEP_CAP = 40
# too little data says nothing
MIN_RUNS = 5  # eligible runs before completion and drop-off count
MIN_ANSWERS = 3  # first answers on a step's questions before its quiz counts
MIN_STEP_SAMPLES = 3  # runs with time on a step before its time counts
# steps.MIN_PACE_RUNS runs through a step before its expected time is compared

# The "why" names the biggest penalty; equal points go to the first factor here.
FACTORS = (
    "completion", "coverage", "problems", "quiz", "drop_off", "expected", "slow", "stale", "misses",
)  # fmt: skip

# attention()
FALLING_BY = 0.10  # completion 10 points below the previous window
_EPSILON = 1e-9  # 0.9 - 0.8 is 0.0999... in floating point
LOW_COVERAGE = 0.80


@dataclass(frozen=True)
class HealthInputs:
    """What the health score reads about one SOP over one window."""

    completion: float | None = None
    previous_completion: float | None = None
    eligible_runs: int = 0
    coverage: float | None = None
    stale: Staleness | None = None
    misses_near: int = 0
    top_miss: str | None = None
    step_titles: Sequence[str] = ()
    quiz_by_step: Mapping[int, tuple[int, int]] = field(default_factory=dict)  # (right, answers)
    problems_by_step: Mapping[int, int] = field(default_factory=dict)
    stops_by_step: Mapping[int, int] = field(default_factory=dict)
    step_medians: Mapping[int, tuple[float, int]] = field(default_factory=dict)  # (median, runs)
    step_paces: Mapping[int, StepPace] = field(default_factory=dict)


def completion_points(completion: float | None, eligible_runs: int) -> float:
    """Penalty for runs not completed (none below MIN_RUNS eligible runs)."""
    if completion is None or eligible_runs < MIN_RUNS:
        return 0.0
    return min(COMPLETION_CAP, COMPLETION_WEIGHT * (1 - completion))


def coverage_points(coverage: float | None) -> float:
    """Penalty for the share of the audience not trained on the current revision."""
    return 0.0 if coverage is None else min(COVERAGE_CAP, COVERAGE_WEIGHT * (1 - coverage))


def stale_points(stale: Staleness | None) -> float:
    """Penalty for an SOP past its review date."""
    if stale is None:
        return 0.0
    overdue = stale.days_since - stale.review_every_days
    return min(STALE_CAP, STALE_POINTS + overdue / STALE_DAYS_PER_POINT)


def problem_points(open_problems: int) -> float:
    """Penalty for open problem reports (on one step)."""
    return min(PROBLEM_CAP, PROBLEM_POINTS * open_problems)


def expected_points(pace: StepPace) -> float:
    """Penalty for a step whose median is at least 1.5× its expected time (0 below, or too few)."""
    if not pace.over:
        return 0.0
    return min(EXPECTED_CAP, EXPECTED_POINTS_PER_RATIO * (pace.times - 1))


def _completion_text(completion: float | None, previous: float | None) -> str:
    was = f" (was {percent(previous)})" if previous is not None else ""
    return f"completion {percent(completion)}{was}"


def _sop_penalties(h: HealthInputs) -> list[Penalty]:
    found = [
        Penalty(
            "completion",
            completion_points(h.completion, h.eligible_runs),
            _completion_text(h.completion, h.previous_completion),
        ),
        Penalty("coverage", coverage_points(h.coverage), f"coverage {percent(h.coverage)}"),
        Penalty("stale", stale_points(h.stale), h.stale.text if h.stale else ""),
        Penalty(
            "misses",
            min(MISS_CAP, MISS_POINTS * h.misses_near),
            f"{plural(h.misses_near, 'search', 'searches')} near its tags found nothing"
            + (f' ("{h.top_miss}")' if h.top_miss else ""),
        ),
    ]
    return [p for p in found if p.points > 0]


def _step_penalties(h: HealthInputs) -> dict[int, list[Penalty]]:
    steps: dict[int, list[Penalty]] = {}

    def add(step: int, factor: str, points: float, text: str) -> None:
        if points > 0:
            steps.setdefault(step, []).append(Penalty(factor, points, text, step))

    for step, (right, answers) in h.quiz_by_step.items():
        if answers >= MIN_ANSWERS:
            wrong = 1 - right / answers
            add(
                step,
                "quiz",
                min(QUIZ_CAP, QUIZ_WEIGHT * wrong),
                f"quiz: {percent(wrong)} wrong on step {step}",
            )
    for step, n in h.problems_by_step.items():
        add(step, "problems", problem_points(n), f"{plural(n, 'open problem')} on step {step}")
    if h.eligible_runs >= MIN_RUNS:
        for step, n in h.stops_by_step.items():
            share = n / h.eligible_runs
            add(
                step,
                "drop_off",
                min(DROP_OFF_CAP, DROP_OFF_WEIGHT * share),
                f"{percent(share)} of runs stopped at step {step}",
            )
    for step, pace in h.step_paces.items():
        add(step, "expected", expected_points(pace), pace.text)
    medians = {
        step: middle for step, (middle, runs) in h.step_medians.items() if runs >= MIN_STEP_SAMPLES
    }
    typical = median(v for v in medians.values() if v is not None) if len(medians) > 1 else None
    if typical:
        for step, value in medians.items():
            assert value is not None
            times = value / typical
            add(
                step,
                "slow",
                min(SLOW_CAP, SLOW_POINTS_PER_RATIO * (times - SLOW_FROM)),
                f"step {step} takes {times:.1f}× the median step",
            )
    return steps


def _rank(p: Penalty) -> tuple[float, int]:
    return (-p.points, FACTORS.index(p.factor))


def score_health(h: HealthInputs) -> Health:
    """The health score, the weakest step and the one-line why (docs/kpis.md)."""
    sop_level = _sop_penalties(h)
    by_step = _step_penalties(h)
    weakest: int | None = None
    step_points = 0.0
    for step in sorted(by_step):
        points = min(STEP_CAP, sum(p.points for p in by_step[step]))
        if points > step_points:
            weakest, step_points = step, points
    step_level = sorted(by_step[weakest], key=_rank) if weakest is not None else []
    total = sum(p.points for p in sop_level) + step_points
    score = max(0, min(100, math.floor(100 - total + 0.5)))
    ranked = sorted(sop_level + step_level, key=_rank)
    title = None
    if weakest is not None and 1 <= weakest <= len(h.step_titles):
        title = h.step_titles[weakest - 1]
    return Health(
        score=score,
        why=ranked[0].text if ranked else "no issues found",
        weakest_step=weakest,
        weakest_step_title=title,
        penalties=tuple(ranked),
    )


ReasonKind = Literal["completion", "coverage", "problems", "expected", "stale", "schedule"]
REASON_ORDER: tuple[ReasonKind, ...] = ("completion", "coverage", "problems", "expected", "stale")


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one SOP needs attention, with the one number that says so."""

    slug: str
    title: str
    health: int
    kind: ReasonKind
    value: float  # the completion or coverage share, the open problems, the days since review
    text: str


def _reasons(k: SopKpis) -> list[tuple[float, Reason]]:
    found: list[tuple[float, Reason]] = []

    def add(points: float, kind: ReasonKind, value: float, text: str) -> None:
        found.append((points, Reason(k.slug, k.title, k.health.score, kind, value, text)))

    c, was = k.completion, k.previous_completion
    if (
        c is not None
        and was is not None
        and k.eligible_runs >= MIN_RUNS
        and was - c >= FALLING_BY - _EPSILON
    ):
        add(completion_points(c, k.eligible_runs), "completion", c, _completion_text(c, was))
    coverage = k.coverage.rate
    if coverage is not None and coverage < LOW_COVERAGE:
        add(coverage_points(coverage), "coverage", coverage, f"coverage {percent(coverage)}")
    if k.feedback.open_problems:
        n = k.feedback.open_problems
        add(problem_points(n), "problems", n, plural(n, "open problem"))
    if k.over_expected is not None:
        pace = k.over_expected
        add(expected_points(pace), "expected", pace.times, pace.text)
    if k.stale is not None:
        add(stale_points(k.stale), "stale", k.stale.days_since, k.stale.text)
    return found


def attention(sop_kpis: Iterable[SopKpis]) -> list[Reason]:
    """SOPs with falling completion, low coverage, open problems, a step far over its expected
    time or past review, worst first.

    One reason per SOP: the one that costs it most health points (ties: the order above).
    Sorted by health ascending, then slug.
    """
    chosen: list[Reason] = []
    for k in sop_kpis:
        reasons = _reasons(k)
        if reasons:
            chosen.append(min(reasons, key=lambda r: (-r[0], REASON_ORDER.index(r[1].kind)))[1])
    return sorted(chosen, key=lambda r: (r.health, r.slug))
