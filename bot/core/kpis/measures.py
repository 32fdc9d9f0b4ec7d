"""The KPI values: what a window's numbers are, per SOP and in total (docs/kpis.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.core.kpis.steps import StepPace
from bot.core.kpis.windows import Window


@dataclass(frozen=True, slots=True)
class Usage:
    """Lookups made and runs started in the window (a run's outcome belongs to its start day)."""

    lookups: int = 0
    runs_started: int = 0
    runs_completed: int = 0
    runs_abandoned: int = 0
    people: int = 0  # distinct people who looked up or started a run


@dataclass(frozen=True, slots=True)
class StepCount:
    """A step number and how often something happened at it."""

    step: int
    count: int


@dataclass(frozen=True, slots=True)
class RunTime:
    """Minutes from start to finish of completed runs; the step people spend longest on."""

    median_minutes: float | None = None
    p90_minutes: float | None = None  # nearest rank
    slowest_step: int | None = None
    slowest_step_minutes: float | None = None  # that step's median


@dataclass(frozen=True, slots=True)
class Coverage:
    """People of the current audience who passed the current revision."""

    passed: int = 0
    audience: int = 0
    pending: tuple[str, ...] = ()  # names, sorted
    overdue: tuple[str, ...] = ()

    @property
    def rate(self) -> float | None:
        """passed / audience, at most 1; None without an audience."""
        return min(1.0, self.passed / self.audience) if self.audience else None


@dataclass(frozen=True, slots=True)
class QuestionStat:
    """How a quiz question fared on first attempts."""

    question: int
    right: int
    answers: int

    @property
    def share_right(self) -> float:
        return self.right / self.answers


@dataclass(frozen=True, slots=True)
class QuizQuality:
    """First attempts on the current revision started in the window."""

    first_attempts: int = 0
    first_attempt_passes: int = 0
    hardest: QuestionStat | None = None

    @property
    def first_attempt_pass_rate(self) -> float | None:
        return self.first_attempt_passes / self.first_attempts if self.first_attempts else None


@dataclass(frozen=True, slots=True)
class FeedbackStats:
    """Step feedback: created, open at the window's end, and closed in the window."""

    new: int = 0
    open: int = 0  # open or acknowledged at the window's end
    open_problems: int = 0
    resolved: int = 0
    wont_fix: int = 0
    median_days_to_resolve: float | None = None
    most_open_step: StepCount | None = None


@dataclass(frozen=True, slots=True)
class Staleness:
    """An SOP not revised or confirmed for longer than its review interval."""

    days_since: int
    review_every_days: int
    reviewed: bool  # True: the later date is a review confirmation, not a revision

    @property
    def text(self) -> str:
        what = "reviewed" if self.reviewed else "revised"
        return f"stale: last {what} {self.days_since} days ago"


@dataclass(frozen=True, slots=True)
class RetrainTime:
    """How fast people passed one material revision."""

    revision: int
    published_at: datetime
    assigned: int
    passed: int
    audience: int
    median_hours: float | None  # publish to passing, over those who passed
    hours_to_80: float | None  # None: 80% of the audience have not passed yet


@dataclass(frozen=True, slots=True)
class Adherence:
    """Runs started in the window on the current revision versus an outdated one."""

    current: int = 0
    outdated: int = 0

    @property
    def rate(self) -> float | None:
        total = self.current + self.outdated
        return self.current / total if total else None


@dataclass(frozen=True, slots=True)
class QueryCount:
    """A normalised search that found nothing, and how often it was made."""

    query: str
    count: int


@dataclass(frozen=True, slots=True)
class Penalty:
    """Points one factor took off an SOP's health; `step` for step-level factors."""

    factor: str
    points: float
    text: str
    step: int | None = None


@dataclass(frozen=True, slots=True)
class Health:
    """0-100, higher is healthier; `why` names the biggest penalty."""

    score: int
    why: str
    weakest_step: int | None = None
    weakest_step_title: str | None = None
    penalties: tuple[Penalty, ...] = ()


@dataclass(frozen=True, slots=True)
class SopKpis:
    """Every KPI of one SOP for one window (and completion of the window before)."""

    slug: str
    title: str
    usage: Usage
    previous_usage: Usage | None
    eligible_runs: int
    completion: float | None
    previous_completion: float | None
    run_time: RunTime
    drop_off: StepCount | None
    coverage: Coverage
    quiz: QuizQuality
    feedback: FeedbackStats
    stale: Staleness | None
    retrain: tuple[RetrainTime, ...]
    adherence: Adherence
    health: Health
    paces: tuple[StepPace, ...] = ()  # steps with an expected time: their median against it
    over_expected: StepPace | None = None  # the step furthest over it (steps.OVER_EXPECTED)


@dataclass(frozen=True, slots=True)
class TotalKpis:
    """The same KPIs over every SOP (coverage weighted by audience size)."""

    usage: Usage
    previous_usage: Usage | None
    eligible_runs: int
    completion: float | None
    previous_completion: float | None
    run_time: RunTime
    coverage: Coverage
    quiz: QuizQuality
    feedback: FeedbackStats
    content_gaps: tuple[QueryCount, ...]
    stale: tuple[str, ...]  # slugs, longest unreviewed first
    adherence: Adherence


@dataclass(frozen=True, slots=True)
class Kpis:
    """One window's KPIs, per SOP (by slug) and in total."""

    window: Window
    now: datetime
    total: TotalKpis
    sops: Mapping[str, SopKpis]
