"""Every KPI of one window, per SOP and in total, from a Tally and the small record sets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from bot.core.kpis import histogram
from bot.core.kpis.health import HealthInputs, score_health
from bot.core.kpis.measures import (
    Adherence,
    Coverage,
    FeedbackStats,
    Kpis,
    QueryCount,
    QuizQuality,
    RunTime,
    SopKpis,
    Staleness,
    StepCount,
    TotalKpis,
    Usage,
)
from bot.core.kpis.records import AssignmentRecord, AttemptRecord, FeedbackRecord, SopInfo
from bot.core.kpis.stats import median, top
from bot.core.kpis.steps import slowest_over_expected, step_medians, step_paces
from bot.core.kpis.tally import Counts, Tally
from bot.core.kpis.training import Training, quiz_quality, training_by_sop
from bot.core.kpis.windows import Window

CONTENT_GAPS = 5  # most frequent searches that found nothing
OPEN_FEEDBACK = frozenset({"open", "acknowledged"})
# A search "near" an SOP shares a word of 3+ letters with its title or tags, these aside.
_STOP_WORDS = frozenset(
    {"the", "and", "for", "with", "how", "what", "when", "who", "why", "can", "does", "from",
     "into", "your", "our", "not"}
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+")


class _HasSop(Protocol):
    @property
    def sop(self) -> str: ...


R = TypeVar("R", bound=_HasSop)


def _by_sop(records: Iterable[R]) -> dict[str, list[R]]:
    groups: dict[str, list[R]] = {}
    for record in records:
        groups.setdefault(record.sop, []).append(record)
    return groups


def words(text: str) -> set[str]:
    """The words that tie a search to an SOP: lower case, 3+ letters, not a stop word."""
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _STOP_WORDS}


def usage(counts: Counts) -> Usage:
    """Usage numbers of one Counts."""
    return Usage(
        lookups=counts.lookups,
        runs_started=counts.runs_started,
        runs_completed=counts.runs_completed,
        runs_abandoned=counts.runs_abandoned,
        people=len(counts.people),
    )


def run_time(counts: Counts, *, with_slowest_step: bool = True) -> RunTime:
    """Median and nearest-rank p90 minutes of completed runs; the slowest step by median."""
    durations = counts.durations
    med, p90 = histogram.median(durations), histogram.nearest_rank(durations, 90)
    slowest = None
    if with_slowest_step:
        slowest = top({step: m for step, (m, _) in step_medians(counts).items()})
    return RunTime(
        median_minutes=None if med is None else med / 60,
        p90_minutes=None if p90 is None else p90 / 60,
        slowest_step=slowest[0] if slowest else None,
        slowest_step_minutes=slowest[1] / 60 if slowest else None,
    )


def drop_off(counts: Counts) -> StepCount | None:
    """The step abandoned runs stopped at most often (ties: the lower step)."""
    found = top(dict(counts.stops))
    return StepCount(found[0], int(found[1])) if found else None


def feedback_stats(
    items: Sequence[FeedbackRecord], window: Window
) -> tuple[FeedbackStats, list[float], dict[int, int]]:
    """Feedback numbers, days-to-resolve of those resolved in the window, open problems by step."""
    new = open_ = problems = resolved = wont_fix = 0
    days: list[float] = []
    open_steps: dict[int, int] = {}
    problem_steps: dict[int, int] = {}
    for f in items:
        if f.created_at in window:
            new += 1
        closed_later = f.resolved_at is not None and f.resolved_at >= window.end
        if f.created_at < window.end and (f.status in OPEN_FEEDBACK or closed_later):
            open_ += 1
            if f.step is not None:
                open_steps[f.step] = open_steps.get(f.step, 0) + 1
            if f.kind == "problem":
                problems += 1
                if f.step is not None:
                    problem_steps[f.step] = problem_steps.get(f.step, 0) + 1
        if f.resolved_at is not None and f.resolved_at in window:
            if f.status == "resolved":
                resolved += 1
                days.append((f.resolved_at - f.created_at).total_seconds() / 86400)
            elif f.status == "wont_fix":
                wont_fix += 1
    most = top(open_steps)
    stats = FeedbackStats(
        new=new,
        open=open_,
        open_problems=problems,
        resolved=resolved,
        wont_fix=wont_fix,
        median_days_to_resolve=median(days),
        most_open_step=StepCount(most[0], int(most[1])) if most else None,
    )
    return stats, days, problem_steps


def staleness(info: SopInfo | None, now: datetime) -> Staleness | None:
    """Stale when the later of last revision and last review is older than the interval."""
    if info is None or info.review_every_days is None:
        return None
    reviewed = info.last_reviewed_at is not None and info.last_reviewed_at > info.last_revision_at
    since = info.last_reviewed_at if reviewed and info.last_reviewed_at else info.last_revision_at
    age = now - since
    if age <= timedelta(days=info.review_every_days):
        return None
    return Staleness(age.days, info.review_every_days, reviewed)


def _misses_near(
    sops: Mapping[str, SopInfo], misses: Sequence[tuple[str, int]]
) -> dict[str, tuple[int, str]]:
    """Per SOP: searches that found nothing sharing a word with its title or tags, top query."""
    index: dict[str, set[str]] = {}
    for slug, info in sops.items():
        for word in words(" ".join([info.title, *info.tags])):
            index.setdefault(word, set()).add(slug)
    total: dict[str, int] = {}
    best: dict[str, tuple[int, str]] = {}
    for query, count in misses:  # sorted by query: of equal counts the first wins
        slugs: set[str] = set()
        for word in words(query):
            slugs |= index.get(word, set())
        for slug in slugs:
            total[slug] = total.get(slug, 0) + count
            if slug not in best or count > best[slug][0]:
                best[slug] = (count, query)
    return {slug: (n, best[slug][1]) for slug, n in total.items()}


def content_gaps(
    misses: Sequence[tuple[str, int]], limit: int = CONTENT_GAPS
) -> tuple[QueryCount, ...]:
    """The most frequent searches that found nothing (ties: alphabetical)."""
    ranked = sorted(misses, key=lambda qc: (-qc[1], qc[0]))[:limit]
    return tuple(QueryCount(q, c) for q, c in ranked)


def _adherence(counts: Counts) -> Adherence:
    current = counts.current_revision_runs
    return Adherence(current, counts.runs_started - current)


def compute_kpis(
    *,
    window: Window,
    now: datetime,
    tally: Tally,
    previous: Tally | None = None,
    sops: Sequence[SopInfo],
    assignments: Iterable[AssignmentRecord] = (),
    attempts: Iterable[AttemptRecord] = (),
    feedback: Iterable[FeedbackRecord] = (),
) -> Kpis:
    """Every KPI of `window` at `now`, per SOP and in total.

    `tally` holds the window's runs and lookups (from `tally()` or `combine()`), `previous`
    the window before it for the trend. SOPs are those in `sops` plus any with runs or
    lookups in the window (a retired SOP still shows its runs); training, feedback and
    staleness of other SOPs are left out.
    """
    info = {s.slug: s for s in sops}
    slugs = sorted(set(info) | {k for k in tally.by_sop if k is not None})
    training = training_by_sop(sops, assignments)
    tried, said = _by_sop(attempts), _by_sop(feedback)
    everything = tally.total()
    near = _misses_near(info, everything.misses)
    per_sop: dict[str, SopKpis] = {}
    resolve_days: list[float] = []
    for slug in slugs:
        sop = info.get(slug)
        counts = tally.of(slug)
        before = previous.of(slug) if previous is not None else None
        quiz, quiz_by_step = quiz_quality(
            tried.get(slug, []), window, sop.current_revision if sop else None
        )
        notes, days, problems_by_step = feedback_stats(said.get(slug, []), window)
        resolve_days += days
        trained = training.get(slug) or Training(Coverage(), ())
        cover = trained.coverage
        stale = staleness(sop, now)
        completion = counts.completion_rate(now)
        previous_completion = before.completion_rate(now) if before is not None else None
        misses, top_miss = near.get(slug, (0, None))
        paces = step_paces(counts)
        health = score_health(
            HealthInputs(
                completion=completion,
                previous_completion=previous_completion,
                eligible_runs=counts.eligible_runs(now),
                coverage=cover.rate,
                stale=stale,
                misses_near=misses,
                top_miss=top_miss,
                step_titles=sop.step_titles if sop else (),
                quiz_by_step=quiz_by_step,
                problems_by_step=problems_by_step,
                stops_by_step=dict(counts.stops),
                step_medians=step_medians(counts),
                step_paces=paces,
            )
        )
        per_sop[slug] = SopKpis(
            slug=slug,
            title=sop.title if sop else slug,
            usage=usage(counts),
            previous_usage=usage(before) if before is not None else None,
            eligible_runs=counts.eligible_runs(now),
            completion=completion,
            previous_completion=previous_completion,
            run_time=run_time(counts),
            drop_off=drop_off(counts),
            paces=tuple(paces[s] for s in sorted(paces)),
            over_expected=slowest_over_expected(paces),
            coverage=cover,
            quiz=quiz,
            feedback=notes,
            stale=stale,
            retrain=trained.retrain,
            adherence=_adherence(counts),
            health=health,
        )
    rows = list(per_sop.values())
    before_all = previous.total() if previous is not None else None
    total = TotalKpis(
        usage=usage(everything),
        previous_usage=usage(before_all) if before_all is not None else None,
        eligible_runs=everything.eligible_runs(now),
        completion=everything.completion_rate(now),
        previous_completion=before_all.completion_rate(now) if before_all is not None else None,
        run_time=run_time(everything, with_slowest_step=False),
        coverage=Coverage(
            passed=sum(min(k.coverage.passed, k.coverage.audience) for k in rows),
            audience=sum(k.coverage.audience for k in rows),
        ),
        quiz=QuizQuality(
            first_attempts=sum(k.quiz.first_attempts for k in rows),
            first_attempt_passes=sum(k.quiz.first_attempt_passes for k in rows),
        ),
        feedback=FeedbackStats(
            new=sum(k.feedback.new for k in rows),
            open=sum(k.feedback.open for k in rows),
            open_problems=sum(k.feedback.open_problems for k in rows),
            resolved=sum(k.feedback.resolved for k in rows),
            wont_fix=sum(k.feedback.wont_fix for k in rows),
            median_days_to_resolve=median(resolve_days),
        ),
        content_gaps=content_gaps(everything.misses),
        stale=tuple(
            k.slug
            for k in sorted(rows, key=lambda k: (-k.stale.days_since if k.stale else 0, k.slug))
            if k.stale is not None
        ),
        adherence=_adherence(everything),
    )
    return Kpis(window=window, now=now, total=total, sops=per_sop)
