"""Training reminders: two nudges, then overdue and one note to the SOP's owner per day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.core.model import Sop
from bot.core.quiet_hours import next_allowed
from bot.db import outbox
from bot.db.models import SopRecord
from bot.db.training import OVERDUE, PENDING, REMINDERS, Assignment, reminder_key
from bot.services.training import OverdueNotice, Reminder, TrainingRenderers


@dataclass(frozen=True)
class ReminderReport:
    """What one reminder pass queued or changed."""

    reminders: int = 0
    deferred: int = 0
    overdue: int = 0
    owners_told: int = 0


def send_reminders(
    session: Session,
    *,
    now: datetime,
    interval: timedelta,
    render: TrainingRenderers,
    owner_id: Callable[[str], str | None],
    managers_of: Callable[[str], str | None] = lambda written: None,
) -> ReminderReport:
    """Queue due reminders (deferred out of quiet hours), mark overdue ones, tell owners and
    the SOP's `managers:` channel (`managers_of` turns what the file wrote into a channel ID)."""
    due = session.scalars(
        select(Assignment)
        .join(SopRecord, SopRecord.id == Assignment.sop_id)
        .where(
            Assignment.status == PENDING,
            Assignment.assigned_at <= now - interval,
            SopRecord.retired_at.is_(None),
        )
        .options(selectinload(Assignment.revision))
        .order_by(Assignment.id)
    )
    reminders = deferred = overdue = 0
    for assignment in due:
        # Counting whole intervals (not reminders sent) means a bot that was down for days
        # sends only the latest reminder instead of all missed ones at once.
        intervals = int((now - assignment.assigned_at) / interval)
        if intervals > REMINDERS:
            assignment.status = OVERDUE
            assignment.overdue_at = assignment.assigned_at + (REMINDERS + 1) * interval
            overdue += 1
        elif intervals > assignment.reminders_sent:
            send_at = next_allowed(now, assignment.tz)
            sop = Sop.from_dict(assignment.revision.content)
            message = render.reminder(
                Reminder(
                    assignment_id=assignment.id,
                    user_id=assignment.user_id,
                    slug=assignment.sop.slug,
                    title=sop.title,
                    revision=assignment.revision.number,
                    number=intervals,
                    overdue_at=assignment.assigned_at + (REMINDERS + 1) * interval,
                )
            )
            outbox.enqueue(
                session,
                key=reminder_key(assignment.id, intervals),
                workspace_id=assignment.workspace_id,
                user_id=assignment.user_id,
                now=now,
                not_before=send_at if send_at > now else None,
                **message,
            )
            assignment.reminders_sent = intervals
            assignment.last_reminded_at = send_at
            reminders += 1
            deferred += send_at > now
    owners = _tell_owners(
        session, now=now, render=render, owner_id=owner_id, managers_of=managers_of
    )
    return ReminderReport(reminders, deferred, overdue, owners)


def _tell_owners(
    session: Session,
    *,
    now: datetime,
    render: TrainingRenderers,
    owner_id: Callable[[str], str | None],
    managers_of: Callable[[str], str | None],
) -> int:
    """One DM per SOP per day listing people newly overdue (and one message to its managers
    channel); later ones wait for tomorrow."""
    waiting = session.scalars(
        select(Assignment)
        .join(SopRecord, SopRecord.id == Assignment.sop_id)
        .where(
            Assignment.status == OVERDUE,
            Assignment.owner_notified_at.is_(None),
            SopRecord.retired_at.is_(None),
        )
        .options(selectinload(Assignment.revision), selectinload(Assignment.sop))
        .order_by(Assignment.sop_id, Assignment.user_id)
    )
    by_sop: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in waiting:
        by_sop[assignment.sop_id].append(assignment)
    told = 0
    for sop_id, people in by_sop.items():
        record = people[0].sop
        owner = owner_id(record.owner) if record.owner else None
        written = (
            record.current_revision.content.get("managers") if record.current_revision else None
        )
        managers = managers_of(written) if written else None
        if owner is None and managers is None:
            continue  # reported by the audience pass; the overdue list shows in /sop training
        revision = max(people, key=lambda a: a.revision.number).revision
        notice = OverdueNotice(
            slug=record.slug,
            title=record.title,
            revision=revision.number,
            people=tuple((a.user_id, a.assigned_at) for a in people),
        )
        key = f"overdue:{sop_id}:{now.date().isoformat()}"
        queued = owner is not None and outbox.enqueue(
            session,
            key=key,
            workspace_id=record.workspace_id,
            user_id=owner,
            now=now,
            **render.overdue(notice),
        )
        if managers is not None:
            queued = (
                outbox.enqueue(
                    session,
                    key=f"{key}:managers",
                    workspace_id=record.workspace_id,
                    channel_id=managers,
                    now=now,
                    **render.overdue(notice),
                )
                or queued
            )
        if queued:
            for assignment in people:
                assignment.owner_notified_at = now
            told += 1
    return told
