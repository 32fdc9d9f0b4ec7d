"""Database rows as the KPI maths' records (bot/core/kpis/records.py); docs/kpis.md has the rules.

Choices the maths leaves to us:
- A run's `step_seconds` sums its finished visits per step (Back and Continue make several).
- `is_current_revision`: no newer revision of the SOP was published before the run ended
  (before now, for an active run).
- Training is about an SOP's latest *material* revision (a wording-only revision retrains
  nobody), so `SopInfo.current_revision` is that revision's number and `audience_size` the
  people assigned it: sopbot does not store the resolved audience, and everyone it resolved
  got an assignment.
- Only finished first attempts are read (quiz quality looks at nothing else; an attempt still
  being answered is not a failure); answers are tied to the SOP's quiz question with the
  same text, else numbered by position.
- Withdrawn feedback is left out; `resolved_at` is when it was resolved or declined.
- People appear by user ID (sopbot keeps no names).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.core.kpis import (
    FeedbackRecord,
    LookupRecord,
    RunRecord,
    SopInfo,
    Window,
)
from bot.core.kpis.starts import micros
from bot.core.kpis.tally import ENDED
from bot.db.feedback import RESOLVED, WITHDRAWN, WONT_FIX, Feedback
from bot.db.models import Event, Revision, Run, RunVisit, SopRecord
from bot.db.session import plan_each_statement
from bot.db.training import WITHDRAWN as LEFT_AUDIENCE
from bot.db.training import Assignment
from bot.services.kpi_training_records import assignment_records, attempt_records

LOOKUP_KINDS = ("lookup", "lookup_miss")
__all__ = [
    "RevisionTimes",
    "assignment_records",
    "attempt_records",
    "feedback_records",
    "lookup_records",
    "open_runs",
    "run_records",
    "sop_infos",
]


class RevisionTimes:
    """When each revision of each SOP was published, to tell whether a run followed the latest."""

    def __init__(self, session: Session) -> None:
        found: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
        rows = session.execute(select(Revision.sop_id, Revision.published_at, Revision.number))
        for sop_id, published_at, number in rows:
            found[sop_id].append((published_at, number))
        self._times = {k: sorted(v) for k, v in found.items()}

    def newest_at(self, sop_id: int, at: datetime) -> int:
        """The number of the SOP's newest revision published at or before `at` (0: none)."""
        times = self._times.get(sop_id, [])
        index = bisect_right(times, (at, 1 << 62))
        return max((n for _, n in times[:index]), default=0)


def _runs_in(
    workspace_id: int,
    window: Window,
    finished_before: datetime | None,
    unsettled_at: datetime | None,
    ended_since: datetime | None = None,
) -> list[Any]:
    """Runs started in `window`; only those finished before `finished_before`, or only those
    not finished before `unsettled_at` (today's settled part and the rest, kpi_rollups).

    With `ended_since`, only runs finished since then, and without the window's start: the
    index on finished_at then finds the few (run_records drops those started earlier).
    """
    if ended_since is not None:
        return [Run.workspace_id == workspace_id, Run.finished_at >= ended_since,
                Run.started_at < window.end]  # fmt: skip
    where = [Run.workspace_id == workspace_id, Run.started_at >= window.start,
             Run.started_at < window.end]  # fmt: skip
    if finished_before is not None:
        where.append(Run.finished_at < finished_before)
    if unsettled_at is not None:
        where.append(or_(Run.finished_at.is_(None), Run.finished_at >= unsettled_at))
    return where


def _step_seconds(session: Session, *, where: list[Any]) -> dict[int, dict]:
    """Run ID -> step -> seconds on it, summed over finished visits, for the finished runs
    `where` picks (an open run's step times count once it ends: tally.py's add_run)."""
    rows = session.execute(
        select(RunVisit.run_id, RunVisit.step_number, RunVisit.started_at, RunVisit.finished_at)
        .join(Run, Run.id == RunVisit.run_id)
        .where(*where, Run.status.in_(ENDED), RunVisit.finished_at.is_not(None))
    )
    per_run: dict[int, dict[int, float]] = defaultdict(dict)
    for run_id, step, started, finished in rows:
        steps = per_run[run_id]
        steps[step] = steps.get(step, 0.0) + (finished - started).total_seconds()
    return per_run


def expected_times(session: Session, revision_ids: set[int]) -> dict[int, dict[int, int]]:
    """Revision ID -> step -> the step's expected seconds (`Time:`), for the given revisions."""
    found: dict[int, dict[int, int]] = {}
    ids = sorted(revision_ids)
    for start in range(0, len(ids), 500):  # a bounded IN list per query
        rows = session.execute(
            select(Revision.id, Revision.content).where(Revision.id.in_(ids[start : start + 500]))
        )
        for revision_id, content in rows:
            steps = content.get("steps", ())
            found[revision_id] = {
                n: s["expected_seconds"]
                for n, s in enumerate(steps, start=1)
                if s.get("expected_seconds")
            }
    return found


def run_records(
    session: Session,
    *,
    workspace_id: int,
    window: Window,
    now: datetime,
    revisions: RevisionTimes | None = None,
    finished_before: datetime | None = None,
    unsettled_at: datetime | None = None,
    ended_since: datetime | None = None,
) -> list[RunRecord]:
    """Every run started in `window` (see _runs_in for the other filters), with its time per
    step and its steps' expected times."""
    plan_each_statement(session)  # a window of minutes or of days
    revisions = revisions or RevisionTimes(session)
    where = _runs_in(workspace_id, window, finished_before, unsettled_at, ended_since)
    seconds = _step_seconds(session, where=where)
    rows = session.execute(
        select(
            Run.id,
            Run.sop_id,
            SopRecord.slug,
            Revision.number,
            Run.user_id,
            Run.started_at,
            Run.finished_at,
            Run.status,
            Run.current_step,
            Run.revision_id,
        )
        .join(SopRecord, SopRecord.id == Run.sop_id)
        .join(Revision, Revision.id == Run.revision_id)
        .where(*where)
    )
    rows = rows.all()
    # Only finished runs' step times count (tally.py), so only their revisions are parsed.
    expected = expected_times(session, {row[-1] for row in rows if row[7] in ENDED})
    records = []
    for run_id, sop_id, slug, number, user, started, finished, status, step, revision_id in rows:
        if started < window.start:  # only where the query left the start out (ended_since)
            continue
        ended = finished or now
        records.append(
            RunRecord(
                run_id=run_id,
                sop=slug,
                revision=number,
                user=user,
                started_at=started,
                finished_at=finished,
                status=status,
                current_step=step,
                step_seconds=seconds.get(run_id, {}),
                stopped_at_step=step if status == "abandoned" else None,
                is_current_revision=revisions.newest_at(sop_id, ended) <= number,
                expected_seconds=expected.get(revision_id, {}),
            )
        )
    return records


def open_runs(session: Session, *, workspace_id: int, window: Window, at: datetime) -> list:
    """The runs started in `window` before `at` and not finished before `at`, each as
    [run ID, SOP slug, SOP ID, revision number, user ID, start in microseconds since 1970]:
    all an open run adds to the KPIs (today's settled part keeps them, kpi_rollups)."""
    plan_each_statement(session)
    rows = session.execute(
        select(Run.id, SopRecord.slug, Run.sop_id, Revision.number, Run.user_id, Run.started_at)
        .join(SopRecord, SopRecord.id == Run.sop_id)
        .join(Revision, Revision.id == Run.revision_id)
        .where(*_runs_in(workspace_id, Window(window.start, min(at, window.end)), None, at))
    )
    return [[i, slug, sop, n, user, micros(started)] for i, slug, sop, n, user, started in rows]


def lookup_records(session: Session, *, workspace_id: int, window: Window) -> list[LookupRecord]:
    """Every `/sop` search made in `window`; `sop` is set when it started one SOP."""
    plan_each_statement(session)
    rows = session.execute(
        select(Event.at, Event.user_id, Event.kind, Event.data, SopRecord.slug)
        .outerjoin(SopRecord, SopRecord.id == Event.sop_id)
        .where(
            Event.workspace_id == workspace_id,
            Event.kind.in_(LOOKUP_KINDS),
            Event.at >= window.start,
            Event.at < window.end,
        )
    )
    return [
        LookupRecord(
            at=at,
            user=user or "",
            query=str((data or {}).get("query", "")),
            hit=kind == "lookup",
            sop=slug,
        )
        for at, user, kind, data, slug in rows
    ]


def _material_revisions(session: Session) -> dict[int, tuple[int, int]]:
    """SOP ID -> (revision ID, number) of its latest material revision."""
    latest = (
        select(Revision.sop_id, func.max(Revision.number).label("number"))
        .where(Revision.material.is_(True))
        .group_by(Revision.sop_id)
        .subquery()
    )
    rows = session.execute(
        select(Revision.sop_id, Revision.id, Revision.number).join(
            latest, (latest.c.sop_id == Revision.sop_id) & (latest.c.number == Revision.number)
        )
    )
    return {sop_id: (revision_id, number) for sop_id, revision_id, number in rows}


def sop_infos(session: Session, *, workspace_id: int) -> list[SopInfo]:
    """Every live SOP as the KPIs see it (training on its latest material revision)."""
    material = _material_revisions(session)
    audience = dict(
        session.execute(
            select(Assignment.revision_id, func.count(func.distinct(Assignment.user_id)))
            .where(Assignment.workspace_id == workspace_id, Assignment.status != LEFT_AUDIENCE)
            .group_by(Assignment.revision_id)
        ).all()
    )
    rows = session.execute(
        select(
            SopRecord.id,
            SopRecord.slug,
            SopRecord.title,
            SopRecord.last_reviewed_at,
            Revision.id,
            Revision.number,
            Revision.published_at,
            Revision.content,
        )
        .join(Revision, Revision.id == SopRecord.current_revision_id)
        .where(SopRecord.workspace_id == workspace_id, SopRecord.retired_at.is_(None))
        .order_by(SopRecord.title)
    )
    infos = []
    for sop_id, slug, title, reviewed, revision_id, number, published, content in rows:
        # The stored content is Sop.to_dict(); only these fields are needed, so no full parse.
        trained_on = material.get(sop_id, (revision_id, number))
        infos.append(
            SopInfo(
                slug=slug,
                title=title,
                tags=tuple(content.get("tags", ())),
                review_every_days=content.get("review_every_days"),
                last_revision_at=published,
                last_reviewed_at=reviewed,
                audience_size=audience.get(trained_on[0], 0),
                step_titles=tuple(s["title"] for s in content["steps"]),
                current_revision=trained_on[1],
                expected_seconds=tuple(s.get("expected_seconds") for s in content["steps"]),
            )
        )
    return infos


def feedback_records(session: Session, *, workspace_id: int) -> list[FeedbackRecord]:
    """Every feedback item but withdrawn ones."""
    rows = session.execute(
        select(Feedback, SopRecord.slug, Revision.number)
        .join(SopRecord, SopRecord.id == Feedback.sop_id)
        .join(Revision, Revision.id == Feedback.revision_id)
        .where(Feedback.workspace_id == workspace_id, Feedback.status != WITHDRAWN)
    )
    return [
        FeedbackRecord(
            id=f.id,
            sop=slug,
            revision=number,
            step=f.step_number,
            kind=f.kind,
            status=f.status,
            created_at=f.created_at,
            resolved_at=f.status_changed_at if f.status in (RESOLVED, WONT_FIX) else None,
        )
        for f, slug, number in rows
    ]
