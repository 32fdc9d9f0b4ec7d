"""Forgetting personal data once it is old: raw activity, rollups' people, sent DMs, authors."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.core.kpis import Window
from bot.db.digest import KpiRollup, KpiRollupDay, KpiSpan, KpiSpanRollup
from bot.db.feedback import RESOLVED, WITHDRAWN, WONT_FIX, Feedback
from bot.db.models import Event, Run
from bot.db.outbox import SENT, OutboxMessage
from bot.db.rollups import counts_from_json
from bot.db.scheduled import ScheduledRun

ANONYMOUS = ""  # the user and channel of a forgotten run (the columns are NOT NULL)


def first_personal_activity(session: Session, *, workspace_id: int) -> datetime | None:
    """When the oldest event, or the oldest run not yet forgotten, happened."""
    event = session.scalar(select(func.min(Event.at)).where(Event.workspace_id == workspace_id))
    run = session.scalar(
        select(func.min(Run.started_at)).where(
            Run.workspace_id == workspace_id, Run.user_id != ANONYMOUS
        )
    )
    return min((t for t in (event, run) if t is not None), default=None)


def _runs_in(workspace_id: int, window: Window) -> Any:
    return (
        Run.workspace_id == workspace_id,
        Run.started_at >= window.start,
        Run.started_at < window.end,
    )


def _events_in(workspace_id: int, window: Window) -> Any:
    return Event.workspace_id == workspace_id, Event.at >= window.start, Event.at < window.end


def has_personal_activity(session: Session, *, workspace_id: int, window: Window) -> bool:
    """Whether the window still holds events or runs that name someone."""
    event = select(Event.id).where(*_events_in(workspace_id, window)).limit(1)
    run = select(Run.id).where(*_runs_in(workspace_id, window), Run.user_id != ANONYMOUS).limit(1)
    return session.scalar(event) is not None or session.scalar(run) is not None


def forget_activity(session: Session, *, workspace_id: int, window: Window) -> tuple[int, int]:
    """Delete the window's events and take the person and place off its runs.

    The runs stay, for their counts and times; nothing reads the events once the day's rollups
    are built. Returns (events deleted, runs anonymised).
    """
    events = session.execute(
        delete(Event)
        .where(*_events_in(workspace_id, window))
        .execution_options(synchronize_session=False)
    ).rowcount
    runs = session.execute(
        update(Run)
        .where(*_runs_in(workspace_id, window), Run.user_id != ANONYMOUS)
        .values(user_id=ANONYMOUS, channel_id=ANONYMOUS, thread_ts=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    # Who took a scheduled run goes with the run's person; the schedule's channel stays.
    session.execute(
        update(ScheduledRun)
        .where(
            ScheduledRun.workspace_id == workspace_id,
            ScheduledRun.scheduled_for >= window.start,
            ScheduledRun.scheduled_for < window.end,
            ScheduledRun.taken_by.is_not(None),
        )
        .values(taken_by=None)
        .execution_options(synchronize_session=False)
    )
    return events, runs


NUMBERED = ("people_numbers", "people_bits")  # bot/db/rollups.py: people as person numbers


def _people_of(counts: dict[str, Any]) -> list[str]:
    """A stored rollup's people: user IDs or stand-ins as they are, numbers as `#n`."""
    people = counts_from_json(counts).people
    return [*people.names(), *(f"#{n}" for n in people.numbers())]


def anonymise_rollups(session: Session, *, workspace_id: int, day: date) -> int:
    """Replace the day's people by stand-ins and its unanswered searches by their count.

    Per day the stand-ins are consistent across SOPs, so every daily number stays exact;
    only a person's days can no longer be linked (which no window this old is read for).
    """
    rows = list(
        session.scalars(
            select(KpiRollup).where(KpiRollup.workspace_id == workspace_id, KpiRollup.day == day)
        )
    )
    for tz in {row.tz for row in rows}:
        of_zone = [row for row in rows if row.tz == tz]
        named = {row.id: _people_of(row.counts) for row in of_zone}
        people = sorted({p for found in named.values() for p in found if p[:1] != "~"})
        stand_in = {person: f"~{n}" for n, person in enumerate(people, start=1)}
        for row in of_zone:
            kept = {k: v for k, v in row.counts.items() if k not in NUMBERED}
            anonymous = sorted(stand_in.get(p, p) for p in named[row.id])
            row.counts = {**kept, "people": anonymous}
            misses = sum(n for _, n in row.lists.get("misses", ()))
            row.lists = {**row.lists, "misses": [["", misses]] if misses else []}
    if rows:  # the rows changed, and spans summed from them would still name people: gone
        session.execute(
            update(KpiRollupDay)
            .where(KpiRollupDay.workspace_id == workspace_id, KpiRollupDay.day == day)
            .values(revision=KpiRollupDay.revision + 1)
        )
        for table in (KpiSpanRollup, KpiSpan):
            session.execute(
                delete(table).where(
                    table.workspace_id == workspace_id, table.first <= day, table.last >= day
                )
            )
    return len(rows)


def erase_sent_content(session: Session, *, sent_before: datetime) -> int:
    """Blank the text and blocks of messages sent before `sent_before`; the rows stay.

    Their keys are what keeps a job from queuing the same message twice, and their channel
    and ts what later updates of the message use.
    """
    return session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.state == SENT,
            OutboxMessage.sent_at < sent_before,
            OutboxMessage.text != "",
        )
        .values(text="", blocks=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def forget_feedback_authors(session: Session, *, closed_before: datetime) -> int:
    """Take the author off feedback resolved, declined or withdrawn before `closed_before`."""
    return session.execute(
        update(Feedback)
        .where(
            Feedback.status.in_((RESOLVED, WONT_FIX, WITHDRAWN)),
            Feedback.status_changed_at < closed_before,
            Feedback.author_id.is_not(None),
        )
        .values(author_id=None)
        .execution_options(synchronize_session=False)
    ).rowcount
