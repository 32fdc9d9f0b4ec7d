"""Training assignments: who must learn which revision, the invitation DMs, and supersession."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.diff import RevisionDiff
from bot.core.model import Sop
from bot.db import outbox
from bot.db.models import Revision, SopRecord
from bot.db.session import in_chunks
from bot.db.training import (
    ATTEMPT_CLOSED,
    ATTEMPT_OPEN,
    OPEN_STATUSES,
    PENDING,
    SUPERSEDED,
    WITHDRAWN,
    Assignment,
    QuizAttempt,
    cancel_reminders,
)
from bot.services.audience import Audience, Person, Unresolved

Message = dict[str, Any]  # {"text": ..., "blocks": [...]}, as the Slack layer renders it


@dataclass(frozen=True)
class Invitation:
    """What the training DM says: the SOP, what changed, and the quiz to take."""

    assignment_id: int
    user_id: str
    slug: str
    title: str
    revision: int
    first: bool
    changes: tuple[str, ...]
    outcome: str  # Markdown
    pass_mark: int


@dataclass(frozen=True)
class UnresolvedNotice:
    """What the owner is told when audience entries named nobody."""

    slug: str
    title: str
    revision: int
    unresolved: tuple[Unresolved, ...]
    trained: int


@dataclass(frozen=True)
class Reminder:
    """A nudge about a pending assignment (the first or the second)."""

    assignment_id: int
    user_id: str
    slug: str
    title: str
    revision: int
    number: int
    overdue_at: datetime


@dataclass(frozen=True)
class OverdueNotice:
    """What an SOP's owner is told about people whose training became overdue."""

    slug: str
    title: str
    revision: int
    people: tuple[tuple[str, datetime], ...]  # (user ID, assigned at)


@dataclass(frozen=True)
class TrainingRenderers:
    """Message builders from the Slack layer, so this module stays free of Block Kit."""

    invitation: Callable[[Invitation], Message]
    unresolved: Callable[[UnresolvedNotice], Message]
    reminder: Callable[[Reminder], Message]
    overdue: Callable[[OverdueNotice], Message]


def invitation_key(*, revision_id: int, user_id: str) -> str:
    """The outbox key of a person's first invitation to a revision's quiz (its DM's message)."""
    return f"training:{revision_id}:{user_id}"


@dataclass(frozen=True)
class AssignResult:
    """What one assignment pass did for one SOP revision."""

    slug: str
    revision: int
    audience: int
    created: int
    superseded: int
    unresolved: tuple[Unresolved, ...]
    owner_told: bool | None  # None: nothing to tell; False: the owner could not be found
    withdrawn: int = 0  # open assignments of people who left the audience
    skipped: tuple[Unresolved, ...] = ()  # external people EXTERNAL_PEOPLE keeps out, and why


def latest_material_revision(session: Session, *, sop_id: int) -> Revision | None:
    """The newest revision of an SOP that requires retraining (the first always does)."""
    return session.scalars(
        select(Revision)
        .where(Revision.sop_id == sop_id, Revision.material.is_(True))
        .order_by(Revision.number.desc())
        .limit(1)
    ).first()


def supersede_older(
    session: Session, *, record: SopRecord, revision: Revision, now: datetime
) -> int:
    """Close every assignment of an older revision (open ones are not failed, just replaced)."""
    older = select(Revision.id).where(
        Revision.sop_id == record.id, Revision.number < revision.number
    )
    ids = list(
        session.scalars(
            select(Assignment.id).where(
                Assignment.sop_id == record.id,
                Assignment.revision_id.in_(older),
                Assignment.status != SUPERSEDED,
            )
        )
    )
    if not ids:
        return 0
    for chunk in in_chunks(ids):
        session.execute(
            update(Assignment)
            .where(Assignment.id.in_(chunk), Assignment.status != SUPERSEDED)
            .values(status=SUPERSEDED, superseded_at=now, superseded_by_id=revision.id)
            .execution_options(synchronize_session=False)
        )
    _stop_open_work(session, ids, now)
    return len(ids)


def assign(
    session: Session,
    *,
    record: SopRecord,
    revision: Revision,
    audience: Audience,
    owner: Person | None,
    now: datetime,
    render: TrainingRenderers,
) -> AssignResult:
    """Give everyone in the audience who lacks one an assignment and queue its DM; idempotent."""
    superseded = supersede_older(session, record=record, revision=revision, now=now)
    sop = Sop.from_dict(revision.content)
    existing = {
        a.user_id: a
        for a in session.scalars(select(Assignment).where(Assignment.revision_id == revision.id))
    }
    created = 0
    for person in audience.people:
        key = invitation_key(revision_id=revision.id, user_id=person.id)
        if person.id in existing:
            assignment = existing[person.id]
            if assignment.status in OPEN_STATUSES and person.tz:
                assignment.tz = person.tz  # people move; reminders follow
            left = assignment.withdrawn_at  # one invitation per return, whoever reopens it
            if assignment.status != WITHDRAWN or not _reopen(session, assignment, person, now):
                continue
            assignment_id = assignment.id
            key = f"{key}:back:{left.timestamp():.0f}" if left else f"{key}:back"
        else:
            assignment_id = _insert(
                session, record=record, revision=revision, person=person, now=now
            )
            if assignment_id is None:
                continue  # another process assigned it a moment ago
        created += 1
        message = render.invitation(
            Invitation(
                assignment_id=assignment_id,
                user_id=person.id,
                slug=record.slug,
                title=sop.title,
                revision=revision.number,
                first=revision.number == 1,
                changes=tuple(RevisionDiff.from_dict(revision.diff).summary_lines()),
                outcome=sop.outcome,
                pass_mark=sop.pass_mark,
            )
        )
        outbox.enqueue(
            session,
            key=key,
            workspace_id=record.workspace_id,
            user_id=person.id,
            now=now,
            **message,
        )
    owner_told = None
    if audience.unresolved:
        owner_told = owner is not None
        if owner is not None:
            notice = UnresolvedNotice(
                slug=record.slug,
                title=sop.title,
                revision=revision.number,
                unresolved=audience.unresolved,
                trained=len(audience.people),
            )
            outbox.enqueue(
                session,
                key=f"unresolved:{revision.id}",
                workspace_id=record.workspace_id,
                user_id=owner.id,
                now=now,
                **render.unresolved(notice),
            )
    return AssignResult(
        slug=record.slug,
        revision=revision.number,
        audience=len(audience.people),
        created=created,
        superseded=superseded,
        unresolved=audience.unresolved,
        owner_told=owner_told,
    )


def complete(audience: Audience) -> bool:
    """Whether every channel and group in the audience was read: only then is someone missing
    from it someone who left (a channel Slack could not find names nobody, not nobody left)."""
    return not any(u.entry.startswith(("#", "@")) for u in audience.unresolved)


def withdraw_leavers(
    session: Session, *, revision: Revision, audience: Audience, now: datetime
) -> int:
    """Close the revision's open assignments of people no longer in `audience` (the whole of
    it): no more reminders, and coverage counts only who is still there. Returns how many."""
    if not complete(audience):
        return 0
    here = {person.id for person in audience.people}
    leavers = list(
        session.scalars(
            select(Assignment).where(
                Assignment.revision_id == revision.id, Assignment.status.in_(OPEN_STATUSES)
            )
        )
    )
    leavers = [a for a in leavers if a.user_id not in here]
    ids = [a.id for a in leavers]
    if not ids:
        return 0
    for a in leavers:
        a.status, a.withdrawn_at = WITHDRAWN, now
    outbox.cancel_unsent(session, keys=[f"training:{revision.id}:{a.user_id}" for a in leavers])
    _stop_open_work(session, ids, now)
    return len(ids)


def _stop_open_work(session: Session, ids: list[int], now: datetime) -> None:
    """For closed assignments: withdraw reminders still waiting and close any open quiz."""
    cancel_reminders(session, assignment_ids=ids)
    for chunk in in_chunks(ids):
        session.execute(
            update(QuizAttempt)
            .where(QuizAttempt.assignment_id.in_(chunk), QuizAttempt.status == ATTEMPT_OPEN)
            .values(status=ATTEMPT_CLOSED, finished_at=now)
            .execution_options(synchronize_session=False)
        )


def _reopen(session: Session, assignment: Assignment, person: Person, now: datetime) -> bool:
    """Someone back in the audience: their withdrawn assignment is pending again, from now.

    Conditional, so two processes running the audience pass at once reopen it (and invite) once.
    """
    reopened = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status == WITHDRAWN)
        .values(
            status=PENDING,
            withdrawn_at=None,
            assigned_at=now,
            tz=person.tz or assignment.tz,
            reminders_sent=0,
            last_reminded_at=None,
            overdue_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(assignment)
    return bool(reopened)


def _insert(
    session: Session, *, record: SopRecord, revision: Revision, person: Person, now: datetime
) -> int | None:
    """Insert one assignment unless (revision, user) exists; its ID, or None if it existed."""
    result = session.execute(
        outbox.dialect_insert(session, Assignment)
        .values(
            workspace_id=record.workspace_id,
            sop_id=record.id,
            revision_id=revision.id,
            user_id=person.id,
            status=PENDING,
            tz=person.tz,
            assigned_at=now,
            reminders_sent=0,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=["revision_id", "user_id"])
        .returning(Assignment.id)
    )
    row = result.first()
    return int(row[0]) if row is not None else None
