"""Runs handed from role to role: who gets the next step, taking it, handing and reassigning.

A step of a cast role that the person who finished the previous step does not hold waits
(assignee None) until someone holding the role takes it, or the run's starter or a manager
hands it to such a person. Each such wait ends with a `handoff_taken` event (the KPI).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.model import Sop
from bot.db import outbox
from bot.db.events import append_event
from bot.db.models import Run, RunVisit
from bot.db.outbox import OutboxMessage
from bot.services.cast import has_cast, holders, holds_role

MAX_DMS = 5  # past this, a role cast as a channel is told in that channel instead
Verdict = Literal["ok", "missing", "not_cast", "taken", "not_allowed", "ended"]


@dataclass(frozen=True)
class Handoff:
    """The outcome of taking, handing or reassigning a step."""

    verdict: Verdict
    run_id: int = 0
    visit_id: int = 0
    step_number: int = 0
    role: str = ""
    assignee_id: str | None = None  # who has the step now (for "taken": who took it first)
    previous_id: str | None = None  # who had it before a reassignment
    message_ts: str | None = None
    waited_seconds: float = 0.0
    # The role is cast, but its cast resolves to nobody now: nobody can take the step, and a
    # manager's Reassign (to anyone) is the way out until the cast is fixed.
    cast_empty: bool = False


def _same(a: str | None, b: str | None) -> bool:
    return (a or "").lower() == (b or "").lower()


def next_assignee(session: Session, *, run: Run, sop: Sop, number: int, closer: str) -> str | None:
    """Who does step `number` after `closer` finished the one before; None: it waits.

    Without a cast, or within the same role, the person who pressed Done goes on. A cast role
    goes to them only if they hold it. An uncast role that follows another role goes back to
    whoever last did a step of it in this run, else to the starter.
    """
    role = sop.step(number).role
    before = sop.step(number - 1).role if number > 1 else None
    if not sop.cast or _same(role, before):
        return closer
    if has_cast(sop, role):
        assert role is not None
        return closer if holds_role(session, sop=run.sop_id, role=role, user_id=closer) else None
    last = session.scalar(
        select(RunVisit.assignee_id)
        .where(
            RunVisit.run_id == run.id,
            RunVisit.outcome == "done",
            RunVisit.assignee_id.is_not(None),
            RunVisit.role == role if role is not None else RunVisit.role.is_(None),
        )
        .order_by(RunVisit.id.desc())
        .limit(1)
    )
    return last or run.user_id


def _open_visit(session: Session, visit_id: int) -> tuple[RunVisit, Run] | Handoff:
    visit = session.get(RunVisit, visit_id, with_for_update=True)
    if visit is None:
        return Handoff("missing")
    run = visit.run
    if visit.finished_at is not None or run.status != "active":
        return Handoff("ended", run.id, visit.id, visit.step_number)
    return visit, run


def _result(verdict: Verdict, visit: RunVisit, **kw: Any) -> Handoff:
    return Handoff(
        verdict,
        visit.run_id,
        visit.id,
        visit.step_number,
        visit.role or "",
        kw.pop("assignee_id", visit.assignee_id),
        message_ts=visit.message_ts,
        **kw,
    )


def take(
    session: Session,
    *,
    visit_id: int,
    user_id: str,
    now: datetime,
    by: str | None = None,
    anyone_if_cast_empty: bool = False,
) -> Handoff:
    """Give a waiting step to `user_id` (who must hold its role); `by` hands it to them.

    `anyone_if_cast_empty` (a manager handing it): when the role's cast resolves to nobody
    now, anyone may get the step, as with `reassign`; the result says so (`cast_empty`).
    """
    found = _open_visit(session, visit_id)
    if isinstance(found, Handoff):
        return found
    visit, run = found
    if visit.assignee_id is not None:
        return _result("taken", visit)
    empty = False
    if visit.role and not holds_role(session, sop=run.sop_id, role=visit.role, user_id=user_id):
        # Only a cast role's step waits: no holders at all means its cast names nobody now.
        empty = not holders(session, sop=run.sop_id, role=visit.role)
        if not (empty and anyone_if_cast_empty):
            return _result("not_cast", visit, assignee_id=user_id, cast_empty=empty)
    # Conditional, so two people pressing Take at once give the step to one of them.
    claimed = session.execute(
        update(RunVisit)
        .where(RunVisit.id == visit.id, RunVisit.assignee_id.is_(None))
        .values(assignee_id=user_id, taken_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(visit)
    if not claimed:
        return _result("taken", visit)
    waited = (now - visit.started_at).total_seconds()
    _event(
        session, run, visit, now, how="handed" if by else "took", by=by or user_id, waited=waited
    )
    return _result("ok", visit, waited_seconds=waited, cast_empty=empty)


def reassign(
    session: Session,
    *,
    visit_id: int,
    user_id: str,
    by: str,
    now: datetime,
    sop: Sop | None = None,
) -> Handoff:
    """A manager gives an open step to `user_id` (who must hold its role, if it is cast).

    A cast role whose cast resolves to nobody now (everyone left its channel, an e-mail that
    finds no one) accepts anyone: else the step could never be done until the file is fixed.
    The result says so (`cast_empty`, known when the run's `sop` is given).
    """
    found = _open_visit(session, visit_id)
    if isinstance(found, Handoff):
        return found
    visit, run = found
    sop_cast = holders(session, sop=run.sop_id, role=visit.role) if visit.role else []
    if sop_cast and user_id not in sop_cast:
        return _result("not_cast", visit, assignee_id=user_id)
    empty = not sop_cast and sop is not None and has_cast(sop, visit.role)
    previous, waiting = visit.assignee_id, visit.assignee_id is None
    visit.assignee_id, visit.taken_at = user_id, now
    session.flush()
    waited = (now - visit.started_at).total_seconds()
    if waiting:
        _event(session, run, visit, now, how="reassigned", by=by, waited=waited)
    return _result("ok", visit, previous_id=previous, waited_seconds=waited, cast_empty=empty)


def _event(
    session: Session, run: Run, visit: RunVisit, now: datetime, *, how: str, by: str, waited: float
) -> None:
    data = {"role": visit.role, "seconds": waited, "assignee": visit.assignee_id, "how": how}
    append_event(
        session,
        workspace_id=run.workspace_id,
        at=now,
        kind="handoff_taken",
        user_id=by,
        sop_id=run.sop_id,
        revision_id=run.revision_id,
        run_id=run.id,
        step_number=visit.step_number,
        data=data,
    )


@dataclass(frozen=True)
class Audience:
    """Who to tell that a step waits: up to MAX_DMS people, or one channel."""

    user_ids: tuple[str, ...] = ()
    channel_id: str | None = None


def who_to_tell(
    session: Session, *, sop_id: int, role: str, channel_ids: list[str], skip: set[str]
) -> Audience:
    """DM up to MAX_DMS holders; with more, one message in the role's cast channel if it has one.

    `channel_ids` are the IDs of the role's `#channel` cast entries that sopbot can see.
    """
    people = [u for u in holders(session, sop=sop_id, role=role) if u not in skip]
    if len(people) > MAX_DMS and channel_ids:
        return Audience(channel_id=channel_ids[0])
    return Audience(user_ids=tuple(people[:MAX_DMS]))


def queue_notices(
    session: Session,
    *,
    visit_id: int,
    workspace_id: int,
    audience: Audience,
    message: dict[str, Any],
    now: datetime,
) -> int:
    """Queue the "needs a <role>" messages through the outbox; returns how many."""
    queued = 0
    targets = [("channel", None, audience.channel_id)] if audience.channel_id else []
    targets += [(user, user, None) for user in audience.user_ids]
    for name, user_id, channel_id in targets:
        queued += outbox.enqueue(
            session,
            key=f"handoff:{visit_id}:{name}",
            workspace_id=workspace_id,
            user_id=user_id,
            channel_id=channel_id,
            now=now,
            text=message["text"],
            blocks=message.get("blocks"),
        )
    return queued


def update_notices(
    session: Session, *, visit_id: int, workspace_id: int, message: dict[str, Any], now: datetime
) -> int:
    """Show `message` ("Taken by …") in place of every notice of this step; returns how many."""
    keys = list(
        session.scalars(
            select(OutboxMessage.key).where(
                OutboxMessage.key.like(f"handoff:{visit_id}:%"),
                OutboxMessage.kind == outbox.POST,
            )
        )
    )
    for key in keys:
        sent = outbox.sent_message(session, key=key)
        if sent is None:
            outbox.rewrite_unsent(session, key=key, text=message["text"], blocks=message["blocks"])
            continue
        outbox.enqueue_update(
            session,
            key=f"{key}:taken",
            workspace_id=workspace_id,
            channel_id=sent[0],
            ts=sent[1],
            text=message["text"],
            blocks=message.get("blocks"),
            now=now,
        )
    return len(keys)
