"""Training KPIs: coverage of the current revision, quiz quality, time to retrain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from bot.core.kpis.health import MIN_ANSWERS
from bot.core.kpis.measures import Coverage, QuestionStat, QuizQuality, RetrainTime
from bot.core.kpis.records import AssignmentRecord, AttemptRecord, SopInfo
from bot.core.kpis.stats import median
from bot.core.kpis.windows import Window

RETRAINED_SHARE = (4, 5)  # "hours until 80% of the audience passed", as a fraction


@dataclass(frozen=True, slots=True)
class Training:
    """An SOP's training measures that no window changes: coverage now, and retrain times."""

    coverage: Coverage
    retrain: tuple[RetrainTime, ...]


def training_by_sop(
    sops: Iterable[SopInfo], assignments: Iterable[AssignmentRecord]
) -> dict[str, Training]:
    """Training of every SOP in `sops` or with assignments, by slug.

    Worked out once per digest and shared by its windows: it is the costliest part of the
    KPIs that does not grow with the event log.
    """
    info = {s.slug: s for s in sops}
    assigned: dict[str, list[AssignmentRecord]] = {slug: [] for slug in info}
    for a in assignments:
        assigned.setdefault(a.sop, []).append(a)
    return {
        slug: Training(coverage(info.get(slug), items), retrain_times(info.get(slug), items))
        for slug, items in assigned.items()
    }


def coverage(info: SopInfo | None, assignments: Sequence[AssignmentRecord]) -> Coverage:
    """Who of the current audience passed the current revision; who is pending or overdue."""
    if info is None:
        return Coverage()
    passed: set[str] = set()
    waiting: dict[str, dict[str, str]] = {"pending": {}, "overdue": {}}
    for a in assignments:
        if a.revision != info.current_revision:
            continue  # superseded revisions say nothing about the current text
        if a.status == "current":
            passed.add(a.user)
        elif a.status in waiting:
            waiting[a.status][a.user] = a.user_name
    names = {k: tuple(sorted(v.values(), key=str.casefold)) for k, v in waiting.items()}
    return Coverage(len(passed), info.audience_size, names["pending"], names["overdue"])


def quiz_quality(
    attempts: Sequence[AttemptRecord], window: Window, current_revision: int | None
) -> tuple[QuizQuality, dict[int, tuple[int, int]]]:
    """First attempts on the current revision in the window; (right, answers) per step."""
    if current_revision is None:
        return QuizQuality(), {}
    first = passes = 0
    questions: dict[int, list[int]] = {}
    steps: dict[int, list[int]] = {}
    for attempt in attempts:
        if (
            attempt.attempt_number != 1
            or attempt.revision != current_revision
            or attempt.started_at not in window
        ):
            continue
        first += 1
        passes += attempt.passed
        for answer in attempt.answers:
            tally = questions.setdefault(answer.question_number, [0, 0])
            tally[0] += answer.correct
            tally[1] += 1
            if answer.step is not None:
                tally = steps.setdefault(answer.step, [0, 0])
                tally[0] += answer.correct
                tally[1] += 1
    qualified = [QuestionStat(n, r, t) for n, (r, t) in questions.items() if t >= MIN_ANSWERS]
    hardest = min(qualified, key=lambda q: (Fraction(q.right, q.answers), q.question), default=None)
    by_step = {step: (r, t) for step, (r, t) in steps.items()}
    return QuizQuality(first, passes, hardest), by_step


def retrain_times(
    info: SopInfo | None, assignments: Sequence[AssignmentRecord]
) -> tuple[RetrainTime, ...]:
    """Per revision with assignments (sopbot assigns only material ones): how fast people passed.

    The audience is the SOP's current audience for the current revision, and the people
    assigned for an older one.
    """
    by_revision: dict[int, list[AssignmentRecord]] = {}
    for a in assignments:
        by_revision.setdefault(a.revision, []).append(a)
    found = []
    num, den = RETRAINED_SHARE
    for revision in sorted(by_revision):
        items = by_revision[revision]
        published = min(a.revision_published_at for a in items)
        first_pass: dict[str, datetime] = {}
        for a in items:
            if a.passed_at is not None and (
                a.user not in first_pass or a.passed_at < first_pass[a.user]
            ):
                first_pass[a.user] = a.passed_at
        hours = sorted((t - published).total_seconds() / 3600 for t in first_pass.values())
        assigned = len({a.user for a in items})
        current = info is not None and revision == info.current_revision
        audience = info.audience_size if current and info else assigned
        need = -(-num * audience // den)  # ceil: 80% of 3 people is 3 people
        reached = hours[need - 1] if audience and len(hours) >= need else None
        found.append(
            RetrainTime(revision, published, assigned, len(hours), audience, median(hours), reached)
        )
    return tuple(found)
