"""Scheduled runs: start each one once, remind and escalate when late, and who may take it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.model import Sop
from bot.core.schedule import ScheduleEntry, entries
from bot.db import outbox
from bot.db import scheduled as store
from bot.db.models import Revision, Run, RunVisit, SopRecord
from bot.services import cast, runs
from bot.services.authz import People

Message = dict  # {"text": ..., "blocks": [...]}, rendered by the Slack layer

# Missed runs are looked for this far back after downtime (and never before the SOP's revision).
LOOKBACK = timedelta(days=2)
# How long after its due time an unfinished run is escalated to the SOP's managers.
ESCALATE_AFTER = timedelta(minutes=30)


@dataclass(frozen=True)
class Occurrence:
    """One scheduled start of an SOP in a channel that nobody claimed yet."""

    sop_id: int
    revision_id: int
    slug: str
    title: str
    entry: ScheduleEntry
    scheduled_for: datetime
    due_at: datetime
    zone: ZoneInfo


@dataclass(frozen=True)
class Pending:
    """A posted scheduled run past its due time and not finished: what a reminder needs."""

    scheduled_id: int
    slug: str
    title: str
    channel: str
    channel_id: str | None
    due_at: datetime
    zone: ZoneInfo
    taken_by: str | None  # who has the open step now, else who took the run
    thread: tuple[str, str] | None  # (channel, ts) of the "Scheduled:" message once sent
    reminded: bool
    managers: str | None  # the SOP's `managers:` channel as written


@dataclass(frozen=True)
class ScheduledRenderers:
    """The messages of a scheduled run, built by the Slack layer."""

    post: Callable[..., Message]  # (scheduled_id, title, due_local) -> "Scheduled: ..." + Take
    reminder: Callable[..., Message]  # (title, due_local, taken_by) -> the thread reminder
    reminder_dm: Callable[..., Message]  # (title, channel_id, due_local) -> DM to the holder
    escalation: Callable[..., Message]  # (title, channel_id, late_minutes, taken_by)


def may_take_run(
    session: Session, people: People, *, sop: Sop, channel_id: str, user_id: str
) -> bool:
    """Whether `user_id` may take a scheduled run of `sop` posted in `channel_id`."""
    first_role = sop.steps[0].role if sop.steps else None
    if first_role and first_role.lower() in {role.lower() for role, _ in sop.cast}:
        # A cast names who plays the first step's role: those people, wherever they are.
        return cast.holds_role(session, sop=sop.slug, role=first_role, user_id=user_id)
    return user_id in people.channel_members(channel_id)


def zone_of(sop: Sop, default_tz: str) -> ZoneInfo:
    """The SOP's `timezone:`, else DIGEST_TZ."""
    return ZoneInfo(sop.timezone or default_tz)


def scheduled_sops(session: Session, *, workspace_id: int) -> list[tuple[SopRecord, Revision, Sop]]:
    """Every live SOP whose current revision has a schedule."""
    query = (
        select(SopRecord, Revision)
        .join(Revision, Revision.id == SopRecord.current_revision_id)
        .where(SopRecord.workspace_id == workspace_id, SopRecord.retired_at.is_(None))
        .order_by(SopRecord.slug)
    )
    found = []
    for record, revision in session.execute(query):
        if revision.content.get("schedule"):
            found.append((record, revision, Sop.from_dict(revision.content)))
    return found


def unclaimed(
    session: Session, *, workspace_id: int, now: datetime, default_tz: str
) -> list[Occurrence]:
    """Occurrences that fell due by `now` and no process claimed yet, oldest first."""
    found: list[Occurrence] = []
    for record, revision, sop in scheduled_sops(session, workspace_id=workspace_id):
        zone, due = zone_of(sop, default_tz), timedelta(minutes=sop.due_minutes)
        # A run still within its due time starts late, even one scheduled before the publish;
        # older ones are recorded missed only since this revision (it may have added them).
        after = min(now - due, max(now - LOOKBACK, revision.published_at))
        for entry in entries(sop.schedule):
            for moment in entry.occurrences(zone, after=after, until=now):
                if not store.exists(
                    session, sop_id=record.id, channel=entry.channel, scheduled_for=moment
                ):
                    found.append(
                        Occurrence(
                            record.id,
                            revision.id,
                            record.slug,
                            sop.title,
                            entry,
                            moment,
                            moment + due,
                            zone,
                        )  # fmt: skip
                    )
    return sorted(found, key=lambda o: o.scheduled_for)


def message_key(scheduled_id: int, what: str = "post") -> str:
    """The outbox key of one of a scheduled run's messages."""
    return f"scheduled:{scheduled_id}:{what}"


def start(
    session: Session,
    *,
    workspace_id: int,
    occurrence: Occurrence,
    channel_id: str | None,
    now: datetime,
    by: str,
    render: ScheduledRenderers,
) -> str | None:
    """Claim the occurrence and queue its message in one transaction; the state, None if taken.

    Past its due time it is recorded missed; without a channel sopbot can see, no_channel.
    """
    o = occurrence
    if now >= o.due_at:
        state = store.MISSED
    elif channel_id is None:
        state = store.NO_CHANNEL
    else:
        state = store.POSTED
    scheduled_id = store.claim(
        session,
        workspace_id=workspace_id,
        sop_id=o.sop_id,
        revision_id=o.revision_id,
        channel=o.entry.channel,
        channel_id=channel_id,
        scheduled_for=o.scheduled_for,
        due_at=o.due_at,
        state=state,
        now=now,
        by=by,
    )
    if scheduled_id is None:
        return None
    if state == store.POSTED:
        assert channel_id is not None
        key = message_key(scheduled_id)
        message = render.post(
            scheduled_id=scheduled_id, title=o.title, due_local=local_hhmm(o.due_at, o.zone)
        )
        outbox.enqueue(
            session, key=key, workspace_id=workspace_id, channel_id=channel_id, now=now, **message
        )
        row = session.get(store.ScheduledRun, scheduled_id)
        assert row is not None
        row.message_key = key
    return state


def local_hhmm(moment: datetime, zone: ZoneInfo) -> str:
    """21:30, in the SOP's zone."""
    return moment.astimezone(zone).strftime("%H:%M")


def pending(
    session: Session, *, workspace_id: int, now: datetime, default_tz: str
) -> list[Pending]:
    """Posted scheduled runs past their due time, unfinished and not yet escalated."""
    found = []
    for row, run in store.unfinished_due(session, workspace_id=workspace_id, now=now):
        record = session.get(SopRecord, row.sop_id)
        revision = session.get(Revision, row.revision_id)
        assert record is not None and revision is not None
        sop = Sop.from_dict(revision.content)
        current = record.current_revision
        managers = Sop.from_dict(current.content).managers if current is not None else None
        thread = outbox.sent_message(session, key=row.message_key) if row.message_key else None
        found.append(
            Pending(
                row.id,
                record.slug,
                sop.title,
                row.channel,
                row.channel_id,
                row.due_at,
                zone_of(sop, default_tz),
                _holder(session, run) or row.taken_by,
                thread,
                row.reminded_at is not None,
                managers,
            )  # fmt: skip
        )
    return found


def _holder(session: Session, run: Run | None) -> str | None:
    """Who has the run's open step now (a team run moves from person to person)."""
    if run is None or run.status != "active":
        return None
    return session.scalar(
        select(RunVisit.assignee_id)
        .where(RunVisit.run_id == run.id, RunVisit.finished_at.is_(None))
        .order_by(RunVisit.id.desc())
        .limit(1)
    )


def remind(
    session: Session, *, workspace_id: int, item: Pending, now: datetime, render: ScheduledRenderers
) -> bool:
    """One reminder in the run's thread (no channel ping) and a DM to whoever holds it."""
    if item.thread is None or not store.mark(
        session, scheduled_id=item.scheduled_id, column="reminded_at", now=now
    ):
        return False
    channel, ts = item.thread
    due_local = local_hhmm(item.due_at, item.zone)
    outbox.enqueue(
        session,
        key=message_key(item.scheduled_id, "reminder"),
        workspace_id=workspace_id,
        channel_id=channel,
        thread_ts=ts,
        now=now,
        **render.reminder(title=item.title, due_local=due_local, taken_by=item.taken_by),
    )
    if item.taken_by:
        outbox.enqueue(
            session,
            key=message_key(item.scheduled_id, "reminder-dm"),
            workspace_id=workspace_id,
            user_id=item.taken_by,
            now=now,
            **render.reminder_dm(title=item.title, channel_id=channel, due_local=due_local),
        )
    return True


def escalate(
    session: Session,
    *,
    workspace_id: int,
    item: Pending,
    managers_channel: str,
    now: datetime,
    render: ScheduledRenderers,
) -> bool:
    """Tell the SOP's managers once that the run is late: which SOP, where, how late."""
    if now < item.due_at + ESCALATE_AFTER:
        return False
    if not store.mark(session, scheduled_id=item.scheduled_id, column="escalated_at", now=now):
        return False
    late = int((now - item.due_at).total_seconds() // 60)
    outbox.enqueue(
        session,
        key=message_key(item.scheduled_id, "escalation"),
        workspace_id=workspace_id,
        channel_id=managers_channel,
        now=now,
        **render.escalation(
            title=item.title,
            channel_id=item.channel_id or item.channel,
            late_minutes=late,
            taken_by=item.taken_by,
        ),
    )
    return True


@dataclass(frozen=True)
class Taken:
    """The answer to Take this run: the run started, or why not."""

    verdict: str  # "ok", "taken" (by someone else first), "missing", "closed", "refused"
    run_id: int | None = None
    visit_id: int | None = None
    taken_by: str | None = None
    title: str = ""
    due_local: str = ""


class TakenMeanwhile(Exception):
    """Someone else took the scheduled run in the same instant."""


def scheduled_info(
    session: Session, *, scheduled_id: int, lock: bool = False
) -> tuple[store.ScheduledRun, Sop] | None:
    """The scheduled run and the SOP it schedules (its current revision)."""
    # FOR UPDATE makes a second, concurrent press wait and then see the first one's taker.
    row = session.get(store.ScheduledRun, scheduled_id, with_for_update=lock)
    if row is None:
        return None
    record = session.get(SopRecord, row.sop_id)
    if record is None or record.current_revision is None:
        return None
    return row, Sop.from_dict(record.current_revision.content)


def take(
    session: Session,
    *,
    scheduled_id: int,
    user_id: str,
    thread: tuple[str, str],
    now: datetime,
    default_tz: str,
) -> Taken:
    """Start the scheduled run for `user_id` in its thread; one person only, the first to ask.

    Raises TakenMeanwhile when another press won between the check and the write: the caller's
    session scope then rolls the started run back.
    """
    found = scheduled_info(session, scheduled_id=scheduled_id, lock=True)
    if found is None:
        return Taken("missing")
    row, sop = found
    due_local = local_hhmm(row.due_at, zone_of(sop, default_tz))
    if row.run_id is not None:
        return Taken("taken", taken_by=row.taken_by, title=sop.title, due_local=due_local)
    record = session.get(SopRecord, row.sop_id)
    if record is None or record.retired_at is not None or row.state != store.POSTED:
        return Taken("closed", title=sop.title)
    state, visit_id = runs.start_run(
        session, record=record, user_id=user_id, channel_id=thread[0], now=now
    )
    if not store.take(
        session, scheduled_id=scheduled_id, user_id=user_id, run_id=state.run_id, now=now
    ):
        raise TakenMeanwhile(scheduled_id)
    runs.attach_thread(session, run_id=state.run_id, channel_id=thread[0], thread_ts=thread[1])
    return Taken("ok", state.run_id, visit_id, user_id, sop.title, due_local)


def is_scheduled_run(session: Session, *, run_id: int) -> bool:
    """Whether a run was taken from a schedule."""
    return store.of_run(session, run_id=run_id) is not None
