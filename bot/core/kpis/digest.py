"""The daily digest: the day's headline, the 7-day trend, SOPs by health, as a value and text."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from bot.core.kpis.adherence import AdherenceRow, with_streak_reasons, with_streaks
from bot.core.kpis.compute import compute_kpis
from bot.core.kpis.fmt import NONE, minutes, name_list, number, percent, plural
from bot.core.kpis.handoffs import SlowerHandoffs
from bot.core.kpis.health import Reason, attention
from bot.core.kpis.measures import Kpis, SopKpis
from bot.core.kpis.records import (
    AssignmentRecord,
    AttemptRecord,
    FeedbackRecord,
    LookupRecord,
    RunRecord,
    SopInfo,
)
from bot.core.kpis.tally import Tally, tally
from bot.core.kpis.windows import day_window, trailing_windows

TREND_DAYS = 7


@dataclass(frozen=True, slots=True)
class Trend:
    """A number this week and the week before."""

    current: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """current - previous (percentage points for shares); None if either is missing."""
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


@dataclass(frozen=True, slots=True)
class Digest:
    """What the managers' channel gets each morning."""

    day: date
    tz: str
    runs: int  # headline: runs started on the day
    completion: float | None  # headline: completion rate of the day's runs
    coverage: float | None  # headline: training coverage over all SOPs, as of now
    week: Kpis  # the 7 days ending with the day, against the 7 before
    rows: tuple[SopKpis, ...]  # the week's KPIs per SOP, least healthy first
    attention: tuple[Reason, ...]
    slower_handoffs: tuple[SlowerHandoffs, ...] = ()  # bot/core/kpis/handoffs.py
    schedule: tuple[AdherenceRow, ...] = ()  # the week's scheduled-run adherence per channel

    @property
    def week_runs(self) -> Trend:
        return Trend(self.week.total.usage.runs_started, _prev(self.week, "runs_started"))

    @property
    def week_completion(self) -> Trend:
        return Trend(self.week.total.completion, self.week.total.previous_completion)

    @property
    def week_people(self) -> Trend:
        return Trend(self.week.total.usage.people, _prev(self.week, "people"))

    @property
    def week_lookups(self) -> Trend:
        return Trend(self.week.total.usage.lookups, _prev(self.week, "lookups"))


def _prev(kpis: Kpis, name: str) -> float | None:
    before = kpis.total.previous_usage
    return None if before is None else getattr(before, name)


def build_digest(
    *,
    day: date,
    tz: tzinfo,
    now: datetime,
    sops: Sequence[SopInfo],
    day_tally: Tally,
    week_tally: Tally,
    previous_week_tally: Tally,
    assignments: Iterable[AssignmentRecord] = (),
    attempts: Iterable[AttemptRecord] = (),
    feedback: Iterable[FeedbackRecord] = (),
) -> Digest:
    """The digest of `day` (local to `tz`) from tallies of the day, its week and the week before."""
    week_window, _ = trailing_windows(day, tz, TREND_DAYS)
    week = compute_kpis(
        window=week_window,
        now=now,
        tally=week_tally,
        previous=previous_week_tally,
        sops=sops,
        assignments=assignments,
        attempts=attempts,
        feedback=feedback,
    )
    # The day gives only the headline: its totals, not every KPI of every SOP.
    today = day_tally.headline()
    rows = tuple(sorted(week.sops.values(), key=lambda k: (k.health.score, k.slug)))
    return Digest(
        day=day,
        tz=str(tz),
        runs=today.runs_started,
        completion=today.completion_rate(now),
        coverage=week.total.coverage.rate,
        week=week,
        rows=rows,
        attention=tuple(attention(rows)),
    )


def digest_from_records(
    *,
    day: date,
    tz: tzinfo,
    now: datetime,
    sops: Sequence[SopInfo],
    runs: Sequence[RunRecord],
    lookups: Sequence[LookupRecord],
    assignments: Iterable[AssignmentRecord] = (),
    attempts: Iterable[AttemptRecord] = (),
    feedback: Iterable[FeedbackRecord] = (),
) -> Digest:
    """`build_digest` straight from raw runs and lookups (no rollups)."""
    week, previous = trailing_windows(day, tz, TREND_DAYS)
    return build_digest(
        day=day,
        tz=tz,
        now=now,
        sops=sops,
        day_tally=tally(runs=runs, lookups=lookups, window=day_window(day, tz)),
        week_tally=tally(runs=runs, lookups=lookups, window=week),
        previous_week_tally=tally(runs=runs, lookups=lookups, window=previous),
        assignments=assignments,
        attempts=attempts,
        feedback=feedback,
    )


def with_schedule(d: Digest, rows: Sequence[AdherenceRow]) -> Digest:
    """The digest with the week's scheduled-run adherence, and streaks taken off health."""
    if not rows:
        return d
    sops = with_streaks(d.week.sops, rows)
    week = dataclasses.replace(d.week, sops=sops)
    ordered = tuple(sorted(sops.values(), key=lambda k: (k.health.score, k.slug)))
    reasons = with_streak_reasons(d.attention, sops, rows)
    return dataclasses.replace(d, week=week, rows=ordered, attention=reasons, schedule=tuple(rows))


def headline(d: Digest) -> str:
    """12 runs, 83% completed, training coverage 91%."""
    runs, completion, coverage = plural(d.runs, "run"), percent(d.completion), percent(d.coverage)
    return f"{runs}, {completion} completed, training coverage {coverage}"


def _signed(value: float | None) -> str:
    return NONE if value is None else f"{value:+.0f}"


def _sop_lines(k: SopKpis) -> list[str]:
    h = k.health
    weakest = ""
    if h.weakest_step is not None:
        title = f' "{h.weakest_step_title}"' if h.weakest_step_title else ""
        weakest = f", weakest step {h.weakest_step}{title}"
    lines = [f"- {k.title} [{k.slug}]: health {h.score}{weakest}: {h.why}"]
    u, rt = k.usage, k.run_time
    was = f" (was {percent(k.previous_completion)})" if k.previous_completion is not None else ""
    runs = f"  {plural(u.runs_started, 'run')}, {percent(k.completion)} completed{was}"
    runs += f", median {minutes(rt.median_minutes)}, p90 {minutes(rt.p90_minutes)}"
    if rt.slowest_step is not None:
        runs += f", slowest step {rt.slowest_step}"
    if k.drop_off is not None:
        runs += f", most stopped at step {k.drop_off.step} ({k.drop_off.count}×)"
    if k.over_expected is not None:
        runs += f", {k.over_expected.text}"
    if k.adherence.outdated:
        runs += f", {k.adherence.outdated} on an outdated revision"
    lines.append(runs)
    c = k.coverage
    if c.audience:
        lines.append(f"  coverage {percent(c.rate)} ({c.passed}/{c.audience})")
        if c.overdue:
            lines.append(f"  overdue: {name_list(c.overdue)}")
        if c.pending:
            lines.append(f"  pending: {name_list(c.pending)}")
    q = k.quiz
    if q.first_attempts:
        quiz = f"  quiz: {percent(q.first_attempt_pass_rate)} passed first time"
        if q.hardest is not None:
            quiz += (
                f", hardest question {q.hardest.question} ({percent(q.hardest.share_right)} right)"
            )
        lines.append(quiz)
    f = k.feedback
    if f.new or f.open or f.resolved:
        line = f"  feedback: {f.new} new, {f.open} open, {f.resolved} resolved"
        if f.resolved:
            line += f" in a median {number(f.median_days_to_resolve, 'days')}"
        lines.append(line)
    return lines


def digest_text(d: Digest) -> str:
    """The digest as plain text (for `sopbot digest --print`)."""
    lines = [f"sopbot digest for {d.day:%a %d %b %Y} ({d.tz})", headline(d), ""]
    w = d.week.total
    lines.append(
        f"Last {TREND_DAYS} days: {plural(w.usage.runs_started, 'run')}"
        f" ({_signed(d.week_runs.change)} on the {TREND_DAYS} days before),"
        f" {percent(w.completion)} completed (was {percent(w.previous_completion)}),"
        f" {plural(w.usage.people, 'person', 'people')}, {plural(w.usage.lookups, 'lookup')}"
    )
    lines.append(
        f"Run time: median {minutes(w.run_time.median_minutes)},"
        f" p90 {minutes(w.run_time.p90_minutes)}"
    )
    if d.schedule:
        lines += ["", "Scheduled runs"]
        lines += [f"- {r.line()}" for r in d.schedule]
    if d.attention:
        lines += ["", "Needs attention"]
        lines += [f"- {r.title}: {r.text} (health {r.health})" for r in d.attention]
    lines += ["", "SOPs, least healthy first"]
    if not d.rows:
        lines.append("- no SOPs are published yet")
    for k in d.rows:
        lines += _sop_lines(k)
    if d.slower_handoffs:
        lines += ["", "Hand-offs that got slower"]
        lines += [f"- {s.text}" for s in d.slower_handoffs]
    if w.content_gaps:
        lines += ["", f"Searches that found nothing (last {TREND_DAYS} days)"]
        lines += [f'- "{g.query}" ×{g.count}' for g in w.content_gaps]
    if w.stale:
        lines += ["", "Due for review"]
        stale = {k.slug: k for k in d.rows}
        lines += [f"- {stale[s].title}: {stale[s].stale.text}" for s in w.stale if stale[s].stale]
    return "\n".join(lines) + "\n"
