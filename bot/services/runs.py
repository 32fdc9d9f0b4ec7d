"""Runs: starting an SOP and moving through its steps, one stored state change at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.model import Sop
from bot.db import sops as repo
from bot.db.events import append_event
from bot.db.models import Revision, Run, RunVisit, SopRecord
from bot.services.handoffs import next_assignee

Verdict = Literal["ok", "not_owner", "not_assignee", "waiting", "stale", "missing"]


@dataclass(frozen=True)
class RunState:
    """A run as the Slack layer needs it, detached from the database."""

    run_id: int
    user_id: str
    slug: str
    sop: Sop
    revision: int
    status: str
    current_step: int
    channel_id: str
    thread_ts: str | None
    started_at: datetime
    finished_at: datetime | None
    newer_revision: int | None
    # The open step's role and who has it (None: it waits for someone of its cast role).
    assignee_id: str | None = None
    step_role: str | None = None
    visit_id: int | None = None  # the open step's visit

    @property
    def step_count(self) -> int:
        """How many steps the run's revision has."""
        return len(self.sop.steps)

    @property
    def waiting(self) -> bool:
        """Whether the open step waits for someone of its role to take it."""
        return self.status == "active" and self.assignee_id is None and bool(self.sop.cast)


@dataclass(frozen=True)
class Move:
    """The result of pressing a run button: a verdict, the run, and what to show next."""

    verdict: Verdict
    run: RunState | None = None
    closed_step: int | None = None
    closed_ts: str | None = None
    next_visit_id: int | None = None
    seconds_on_step: float = 0.0


# A run's SOP and its revision's number, loaded with it in one statement; the revision's
# content comes parsed from repo.revision_sop, its source file and diff are never read.
_RUN_LOADS = (
    joinedload(Run.sop),
    joinedload(Run.revision).load_only(Revision.id, Revision.number),
)
_SEARCH = object()  # _state's `opened` when the caller has not looked for the open visit
_ADD_VISIT = insert(RunVisit.__table__).returning(RunVisit.__table__.c.id)


def _state(
    session: Session,
    run: Run,
    *,
    opened: RunVisit | None | object = _SEARCH,
    sop: Sop | None = None,
    number: int | None = None,
) -> RunState:
    """`run` as a RunState; `opened` (its open visit, or None when it has none), `sop` (its
    revision's content, parsed) and `number` (its revision's) spare queries when given."""
    record: SopRecord = run.sop
    visit = None
    if run.status == "active":
        visit = _open_visit_of(session, run) if opened is _SEARCH else opened
    assert visit is None or isinstance(visit, RunVisit)
    # The SOP's current revision is loaded only when it is not the run's own (rarely).
    newer = None
    current_id = record.current_revision_id
    if current_id is not None and current_id != run.revision_id and record.retired_at is None:
        newer = session.scalar(select(Revision.number).where(Revision.id == current_id))
    return RunState(
        run_id=run.id,
        user_id=run.user_id,
        slug=record.slug,
        sop=sop if sop is not None else repo.revision_sop(session, run.revision_id),
        revision=number if number is not None else run.revision.number,
        status=run.status,
        current_step=run.current_step,
        channel_id=run.channel_id,
        thread_ts=run.thread_ts,
        started_at=run.started_at,
        finished_at=run.finished_at,
        newer_revision=newer,
        assignee_id=visit.assignee_id if visit is not None else None,
        step_role=visit.role if visit is not None else None,
        visit_id=visit.id if visit is not None else None,
    )


def record_event(session: Session, *, run: Run, kind: str, at: datetime, **data: object) -> None:
    """Append a run event for the KPI digest."""
    append_event(
        session,
        workspace_id=run.workspace_id,
        at=at,
        kind=kind,
        user_id=run.user_id,
        sop_id=run.sop_id,
        revision_id=run.revision_id,
        run_id=run.id,
        step_number=run.current_step,
        data=data,
    )


def _open_visit(
    session: Session, run: Run, now: datetime, assignee: str | None, sop: Sop | None = None
) -> RunVisit:
    """A new visit of the run's current step, stored; returned as stored, with its ID (outside
    the session: a plain INSERT, which the unit of work's flush cost several times over)."""
    sop = sop if sop is not None else repo.revision_sop(session, run.revision_id)
    stored = {
        "run_id": run.id,
        "step_number": run.current_step,
        "started_at": now,
        "role": sop.step(run.current_step).role,
        "assignee_id": assignee,
        "taken_at": now if assignee is not None else None,
    }
    visit_id = session.execute(_ADD_VISIT, stored).scalar_one()
    return RunVisit(id=visit_id, message_ts=None, finished_at=None, outcome=None, **stored)


def start_run(
    session: Session,
    *,
    record: SopRecord,
    user_id: str,
    channel_id: str,
    now: datetime,
    restarted_from: int | None = None,
) -> tuple[RunState, int]:
    """Create a run on the SOP's current revision and its first visit; return both."""
    revision_id = record.current_revision_id
    assert revision_id is not None
    run = Run(
        workspace_id=record.workspace_id,
        sop_id=record.id,
        revision_id=revision_id,
        user_id=user_id,
        channel_id=channel_id,
        status="active",
        current_step=1,
        started_at=now,
        restarted_from_id=restarted_from,
    )
    session.add(run)
    session.flush()
    record_event(session, run=run, kind="run_started", at=now)
    sop = repo.revision_sop(session, revision_id)
    visit = _open_visit(session, run, now, user_id, sop)
    # The number alone: loading run.revision would read its whole source file and diff too.
    number = session.scalar(select(Revision.number).where(Revision.id == revision_id))
    return _state(session, run, opened=visit, sop=sop, number=number), visit.id


def get_run(session: Session, *, run_id: int) -> RunState | None:
    """The run with this ID."""
    run = session.get(Run, run_id, options=_RUN_LOADS)
    return _state(session, run) if run is not None else None


def run_exists(session: Session, *, run_id: int) -> bool:
    """Whether the run with this ID is stored."""
    return session.scalar(select(Run.id).where(Run.id == run_id)) is not None


def run_of_visit(session: Session, *, visit_id: int) -> RunState | None:
    """The run a step visit belongs to."""
    visit = session.get(RunVisit, visit_id)
    return _state(session, visit.run) if visit is not None else None


def slug_of_run(session: Session, *, run_id: int) -> str | None:
    """The slug of the SOP a run follows; None when there is no such run."""
    return session.scalar(
        select(SopRecord.slug).join(Run, Run.sop_id == SopRecord.id).where(Run.id == run_id)
    )


def slug_of_visit(session: Session, *, visit_id: int) -> str | None:
    """The slug of the SOP whose run a step visit belongs to; None when there is no such visit."""
    return session.scalar(
        select(SopRecord.slug)
        .join(Run, Run.sop_id == SopRecord.id)
        .join(RunVisit, RunVisit.run_id == Run.id)
        .where(RunVisit.id == visit_id)
    )


def unfinished_runs(session: Session, *, user_id: str, limit: int = 10) -> list[RunState]:
    """The user's active runs, newest first."""
    runs = session.scalars(
        select(Run)
        .where(Run.user_id == user_id, Run.status == "active")
        .order_by(Run.started_at.desc())
        .limit(limit)
        .options(*_RUN_LOADS)
    ).all()
    if not runs:
        return []
    # Each run's open visit, all in one query: the newest unfinished visit per run.
    visits = session.scalars(
        select(RunVisit)
        .where(RunVisit.run_id.in_([run.id for run in runs]), RunVisit.finished_at.is_(None))
        .order_by(RunVisit.id)
    )
    newest = {visit.run_id: visit for visit in visits}
    return [_state(session, run, opened=newest.get(run.id)) for run in runs]


def attach_thread(session: Session, *, run_id: int, channel_id: str, thread_ts: str) -> None:
    """Remember where the run's parent message was posted."""
    found = session.execute(
        update(Run).where(Run.id == run_id).values(channel_id=channel_id, thread_ts=thread_ts)
    ).rowcount
    assert found == 1


# The Done press's statements, built once: building and keying them on every press cost about
# what running them did (bench/request_profile.py).
_VISITS = RunVisit.__table__
_SET_MESSAGE = (
    update(_VISITS).where(_VISITS.c.id == bindparam("visit_id")).values(message_ts=bindparam("ts"))
)
_VISIT_AND_RUN = (
    select(RunVisit)
    .where(RunVisit.id == bindparam("visit_id"))
    .options(joinedload(RunVisit.run).options(*_RUN_LOADS))
)
_CLOSE = (
    update(_VISITS)
    .where(_VISITS.c.id == bindparam("visit_id"), _VISITS.c.finished_at.is_(None))
    .values(
        finished_at=bindparam("closed_at", type_=_VISITS.c.finished_at.type),
        outcome=bindparam("closed_as", type_=_VISITS.c.outcome.type),
    )
)


def attach_message(session: Session, *, visit_id: int, message_ts: str) -> None:
    """Remember which message carries a visit's buttons."""
    session.execute(_SET_MESSAGE, {"visit_id": visit_id, "ts": message_ts})


def _close_visit(
    session: Session, *, visit_id: int, user_id: str, outcome: str, now: datetime
) -> tuple[Verdict, Run | None, RunVisit | None]:
    """Close an open visit exactly once, for the step's assignee only."""
    # The visit with its run, the run's revision and SOP: one query instead of four.
    visit = session.scalars(_VISIT_AND_RUN, {"visit_id": visit_id}).first()
    if visit is None:
        return "missing", None, None
    run = visit.run
    # Visits stored before hand-offs existed have no assignee: the run's starter did them all.
    if visit.assignee_id is None and visit.role is not None and visit.finished_at is None:
        return ("waiting" if run.status == "active" else "stale"), run, visit
    if (visit.assignee_id or run.user_id) != user_id:
        handed = visit.assignee_id not in (None, run.user_id)
        return ("not_assignee" if handed else "not_owner"), run, visit
    # The conditional update is what makes a double click (or a retry on another process)
    # advance once: only one transaction sees finished_at still empty.
    closed = session.execute(
        _CLOSE, {"visit_id": visit_id, "closed_at": now, "closed_as": outcome}
    ).rowcount
    if not closed or run.status != "active":
        return "stale", run, visit
    # What the update stored, on `visit` as loaded (not as a change of its own to flush).
    set_committed_value(visit, "finished_at", now)
    set_committed_value(visit, "outcome", outcome)
    return "ok", run, visit


def complete_step(session: Session, *, visit_id: int, user_id: str, now: datetime) -> Move:
    """Mark the visit's step done and open the next one, or finish the run."""
    verdict, run, visit = _close_visit(
        session, visit_id=visit_id, user_id=user_id, outcome="done", now=now
    )
    if verdict != "ok":
        return Move(verdict, _state(session, run) if run else None)
    assert run is not None and visit is not None
    seconds = (now - visit.started_at).total_seconds()
    record_event(session, run=run, kind="step_done", at=now, seconds=seconds)
    sop = repo.revision_sop(session, run.revision_id)
    next_visit = None
    if visit.step_number >= len(sop.steps):
        run.status, run.finished_at = "completed", now
        record_event(
            session,
            run=run,
            kind="run_completed",
            at=now,
            seconds=(now - run.started_at).total_seconds(),
        )
    else:
        run.current_step = visit.step_number + 1
        assignee = next_assignee(session, run=run, sop=sop, number=run.current_step, closer=user_id)
        next_visit = _open_visit(session, run, now, assignee, sop)
    return Move(
        "ok",
        _state(session, run, opened=next_visit, sop=sop),
        visit.step_number,
        visit.message_ts,
        next_visit.id if next_visit is not None else None,
        seconds,
    )


def go_back(session: Session, *, visit_id: int, user_id: str, now: datetime) -> Move:
    """Close the visit and show the previous step again."""
    verdict, run, visit = _close_visit(
        session, visit_id=visit_id, user_id=user_id, outcome="back", now=now
    )
    if verdict != "ok":
        return Move(verdict, _state(session, run) if run else None)
    assert run is not None and visit is not None
    run.current_step = max(1, visit.step_number - 1)
    record_event(session, run=run, kind="step_back", at=now, from_step=visit.step_number)
    # The step goes back to whoever did it (in a team run it may not be the presser).
    did = session.scalar(
        select(RunVisit.assignee_id)
        .where(
            RunVisit.run_id == run.id,
            RunVisit.step_number == run.current_step,
            RunVisit.outcome == "done",
        )
        .order_by(RunVisit.id.desc())
        .limit(1)
    )
    reopened = _open_visit(session, run, now, did or user_id)
    state = _state(session, run, opened=reopened)
    return Move("ok", state, visit.step_number, visit.message_ts, reopened.id)


def _open_visit_of(session: Session, run: Run) -> RunVisit | None:
    return session.scalars(
        select(RunVisit)
        .where(RunVisit.run_id == run.id, RunVisit.finished_at.is_(None))
        .order_by(RunVisit.id.desc())
        .limit(1)
    ).first()


def _own_active_run(
    session: Session, *, run_id: int, user_id: str, manager: bool = False
) -> Run | Move:
    """The caller's (or, for a manager, any) active run, locked; else the Move that refuses."""
    # FOR UPDATE makes a second, concurrent press wait and then see the first one's result.
    run = session.get(Run, run_id, with_for_update=True)
    if run is None:
        return Move("missing")
    if run.user_id != user_id and not manager:
        return Move("not_owner", _state(session, run))
    if run.status != "active":
        return Move("stale", _state(session, run))
    return run


def _close_open_visit(
    session: Session, run: Run, *, outcome: str, now: datetime
) -> RunVisit | None:
    visit = _open_visit_of(session, run)
    if visit is not None:
        visit.finished_at, visit.outcome = now, outcome
    return visit


def stop_run(
    session: Session,
    *,
    run_id: int,
    user_id: str,
    now: datetime,
    outcome: str = "stopped",
    manager: bool = False,
) -> Move:
    """End an active run as abandoned (its starter, or a manager of its SOP)."""
    run = _own_active_run(session, run_id=run_id, user_id=user_id, manager=manager)
    if isinstance(run, Move):
        return run
    visit = _close_open_visit(session, run, outcome=outcome, now=now)
    run.status, run.finished_at = "abandoned", now
    record_event(session, run=run, kind="run_abandoned", at=now, reason=outcome)
    return Move("ok", _state(session, run), *_closed(visit))


def continue_run(session: Session, *, run_id: int, user_id: str, now: datetime) -> Move:
    """Show the current step of an unfinished run again, as a fresh visit."""
    run = _own_active_run(session, run_id=run_id, user_id=user_id)
    if isinstance(run, Move):
        return run
    visit = _close_open_visit(session, run, outcome="moved", now=now)
    record_event(session, run=run, kind="run_continued", at=now)
    # The step keeps its assignee (or keeps waiting) when shown again.
    assignee = visit.assignee_id if visit is not None else user_id
    reopened = _open_visit(session, run, now, assignee)
    return Move("ok", _state(session, run, opened=reopened), *_closed(visit), reopened.id)


def _closed(visit: RunVisit | None) -> tuple[int | None, str | None]:
    return (visit.step_number, visit.message_ts) if visit is not None else (None, None)
