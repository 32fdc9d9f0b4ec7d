"""Scheduled runs: start each SOP's runs when due, remind, escalate; every process runs it.

Each start is claimed by whichever process first inserts its `scheduled_runs` row, in the same
transaction as its outbox message (the digest's pattern), so two processes or a restart never
post a run twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.db.scheduled import MISSED, NO_CHANNEL
from bot.db.sops import default_workspace
from bot.jobs.context import JobContext
from bot.jobs.digest import WHO
from bot.jobs.managers import Channels
from bot.jobs.triggers import Every
from bot.services import scheduled_runs

log = logging.getLogger(__name__)


def tick(job: JobContext) -> list[str]:
    """Start what fell due, record what was missed, remind and escalate; says what it did."""
    runtime = job.runtime
    default_tz = runtime.settings.digest_tz
    now = runtime.clock()
    with runtime.database.session() as session:
        workspace_id = default_workspace(session).id
        due = scheduled_runs.unclaimed(
            session, workspace_id=workspace_id, now=now, default_tz=default_tz
        )
    channels = Channels(job)
    done: list[str] = []
    for occurrence in due:
        # Slack is asked outside any transaction: a SQLite write lock must never wait on HTTP.
        channel_id = channels(occurrence.entry.channel) if now < occurrence.due_at else None
        with runtime.database.session() as session:
            state = scheduled_runs.start(
                session,
                workspace_id=workspace_id,
                occurrence=occurrence,
                channel_id=channel_id,
                now=now,
                by=WHO,
                render=job.renderers.scheduled,
            )
        if state is None:
            continue
        what = f"{occurrence.slug}@{occurrence.entry.channel}:{state}"
        done.append(what)
        if state == MISSED:
            log.warning("scheduled run %s was missed: sopbot was not running when it was due", what)
        elif state == NO_CHANNEL:
            log.warning("scheduled run %s not posted: sopbot cannot see that channel", what)
    done += follow_up(job, workspace_id=workspace_id, channels=channels)
    return done


def follow_up(job: JobContext, *, workspace_id: int, channels: Channels) -> list[str]:
    """Remind in the thread at the due time, escalate to the managers once late."""
    runtime = job.runtime
    now = runtime.clock()
    with runtime.database.session() as session:
        items = scheduled_runs.pending(
            session, workspace_id=workspace_id, now=now, default_tz=runtime.settings.digest_tz
        )
    done: list[str] = []
    for item in items:
        managers = channels(item.managers) if item.managers else runtime.settings.manager_channel
        with runtime.database.session() as session:
            if not item.reminded and scheduled_runs.remind(
                session, workspace_id=workspace_id, item=item, now=now,
                render=job.renderers.scheduled,
            ):  # fmt: skip
                done.append(f"{item.slug}@{item.channel}:reminded")
            if managers and scheduled_runs.escalate(
                session, workspace_id=workspace_id, item=item, managers_channel=managers,
                now=now, render=job.renderers.scheduled,
            ):  # fmt: skip
                done.append(f"{item.slug}@{item.channel}:escalated")
    return done


def scheduled_runs_job(job: JobContext) -> None:
    """The every-minute scheduled-runs tick (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    tick(job)


# At start-up too, so a run missed by downtime starts late at once (within its due time).
TICK_TRIGGER = Every(timedelta(minutes=1), at_start=True)
