"""Scheduled digest work: the daily digest tick, the chart upload, rollups and review nudges.

Every process runs these; each records what it did (a claimed digest row, a rollup marker,
an outbox key), so running them twice anywhere changes nothing.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import date, timedelta

from bot import metrics
from bot.db import digest as store
from bot.db.sops import default_workspace
from bot.jobs.context import JobContext
from bot.jobs.digest_chart import upload_charts
from bot.jobs.managers import Channels
from bot.jobs.training import OwnerIds
from bot.jobs.triggers import Every
from bot.runtime import Runtime
from bot.services import chart, digest_config, kpi_rollups, kpi_spans, sop_review
from bot.services import digest as digests
from bot.services.digest_config import DigestConfig

log = logging.getLogger(__name__)

WHO = f"{socket.gethostname()[:60]}:{os.getpid()}"


def config_of(runtime: Runtime) -> tuple[int, DigestConfig]:
    """The workspace and its digest configuration, read fresh (admins change it from Slack)."""
    with runtime.database.session() as session:
        workspace = default_workspace(session)
        return workspace.id, digest_config.load(
            session, settings=runtime.settings, workspace=workspace
        )


def roll_up(runtime: Runtime) -> kpi_rollups.RollupReport:
    """Roll up every finished day that needs it, one short transaction per day."""
    with metrics.ROLLUP_SECONDS.time():
        return _roll_up(runtime)


def _roll_up(runtime: Runtime) -> kpi_rollups.RollupReport:
    workspace_id, config = config_of(runtime)
    zone = config.zone
    with runtime.database.session() as session:
        days = kpi_rollups.days_to_roll(
            session, workspace_id=workspace_id, tz=zone, now=runtime.clock()
        )
    built, rows = [], 0
    for day in days:
        # One day per transaction: SQLite has a single writer, and requests must not wait long.
        with runtime.database.session() as session:
            written = kpi_rollups.roll_up_day(
                session, workspace_id=workspace_id, tz=zone, day=day, now=runtime.clock()
            )
        if written is not None:
            built.append(day)
            rows += written
    with runtime.database.session() as session:
        # Today's settled part: /sop kpis then reads only the last minutes' records raw.
        kpi_rollups.roll_up_today(session, workspace_id=workspace_id, tz=zone, now=runtime.clock())
    summed = []
    for first, last in kpi_spans.wanted(runtime.clock(), zone):
        # The windows /sop kpis reads, a row per SOP: after their days, one per transaction.
        with runtime.database.session() as session:
            written = kpi_spans.roll_up_span(
                session, workspace_id=workspace_id, tz=zone, first=first, last=last,
                now=runtime.clock(),
            )  # fmt: skip
        if written is not None:
            summed.append((first, last))
    with runtime.database.session() as session:
        kpi_spans.drop_old(session, workspace_id=workspace_id, tz=zone, now=runtime.clock())
    if built or summed:
        log.info("rolled up %d day(s) of KPIs (%d rows) and summed %d span(s) in %s",
                 len(built), rows, len(summed), zone)  # fmt: skip
    return kpi_rollups.RollupReport(tuple(built), rows, tuple(summed))


def send_digest(
    job: JobContext,
    *,
    day: date,
    force: bool = False,
    skip_quiet: bool | None = None,
) -> str:
    """Claim `day`'s digest and queue it; says what happened: sent, taken, quiet or no channel."""
    runtime = job.runtime
    workspace_id, config = config_of(runtime)
    if config.channel is None:
        return "no-channel"
    if not force:
        with runtime.database.session() as session:
            if store.digest_row(session, workspace_id=workspace_id, day=day) is not None:
                return "taken"  # cheap check first: the numbers need not be computed again
    with metrics.DIGEST_SECONDS.time():
        return _build_and_queue(job, day=day, force=force, skip_quiet=skip_quiet)


def _build_and_queue(job: JobContext, *, day: date, force: bool, skip_quiet: bool | None) -> str:
    """Roll up, compute the day's report and queue it (or skip it when quiet)."""
    runtime = job.runtime
    workspace_id, config = config_of(runtime)
    roll_up(runtime)
    now = runtime.clock()
    with runtime.database.session() as session:
        result = digests.report(
            session, workspace_id=workspace_id, day=day, tz=config.zone, now=now
        )
    quiet = config.skip_empty if skip_quiet is None else skip_quiet
    with runtime.database.session() as session:
        if force:  # released in the sending transaction, so no other process can slip in
            store.release_digest(session, workspace_id=workspace_id, day=day)
        if result.empty and quiet:
            digests.skip(
                session, workspace_id=workspace_id, day=day, tz=config.tz,
                status=store.SKIPPED_EMPTY, now=now, by=WHO,
            )  # fmt: skip
            return "quiet"
        claimed = digests.queue(
            session,
            workspace_id=workspace_id,
            result=result,
            channel=config.channel,
            now=now,
            by=WHO,
            with_chart=chart.available(),
            render=job.renderers.digest,
        )
    if claimed:
        log.info("digest for %s queued for %s", day, config.channel)
    return "sent" if claimed else "taken"


def tick(job: JobContext) -> list[str]:
    """Send the digest once its time has come (within the grace after downtime); upload charts."""
    runtime, client = job.runtime, job.client
    workspace_id, config = config_of(runtime)
    done: list[str] = []
    now = runtime.clock()
    if config.channel is None:
        upload_charts(runtime, client=client)
        return done
    with runtime.database.session() as session:
        installed = digests.installed_at(session, workspace_id=workspace_id)
    for posting_day in digest_config.posting_days(config, now):
        due = config.due_at(posting_day)
        day = posting_day - timedelta(days=1)
        if now < due or posting_day.weekday() not in config.weekdays:
            continue
        if installed is None or installed > due:
            continue  # nothing was published yet when it was due: not a missed digest
        if now >= due + digests.GRACE:
            with runtime.database.session() as session:
                if store.digest_row(session, workspace_id=workspace_id, day=day) is None:
                    skipped = digests.skip(
                        session, workspace_id=workspace_id, day=day, tz=config.tz,
                        status=store.SKIPPED_LATE, now=now, by=WHO,
                    )  # fmt: skip
                    if skipped:
                        log.warning(
                            "digest for %s not sent: it was due at %s and sopbot was not running"
                            " within %s of that",
                            day, due.isoformat(), digests.GRACE,
                        )  # fmt: skip
                        done.append(f"{day}:skipped")
            continue
        done.append(f"{day}:{send_digest(job, day=day)}")
    upload_charts(runtime, client=client)
    return done


def nudge_stale(job: JobContext) -> int:
    """DM each stale SOP's owner once per review period; return how many were queued."""
    runtime = job.runtime
    now = runtime.clock()
    with runtime.database.session() as session:
        workspace_id = default_workspace(session).id
        items = sop_review.stale_sops(session, workspace_id=workspace_id, now=now)
    owner_ids, channels = OwnerIds(job), Channels(job)
    queued = 0
    for item in items:
        # Slack is asked outside any transaction: a SQLite write lock must never wait on HTTP.
        owner = owner_ids(item.owner) if item.owner else None
        managers = channels(item.managers) if owner is None and item.managers else None
        if owner is None and managers is None:
            log.info("%s is due for review but its owner is not a Slack user", item.slug)
            continue
        with runtime.database.session() as session:
            queued += sop_review.nudge(
                session, workspace_id=workspace_id, item=item, owner_id=owner, now=now,
                render=job.renderers.stale_nudge, managers_channel=managers,
            )  # fmt: skip
    return queued


def tick_job(job: JobContext) -> None:
    """The every-minute digest tick (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    tick(job)


def rollup_job(job: JobContext) -> None:
    """The rollup pass (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    roll_up(job.runtime)


def stale_job(job: JobContext) -> None:
    """The review-nudge pass (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    nudge_stale(job)


# The tick fires at start-up too, so a digest missed by downtime goes out at once (within the
# grace); rollups are cheap when there is nothing new, so hourly keeps yesterday ready early.
TICK_TRIGGER = Every(timedelta(minutes=1), at_start=True)
ROLLUP_TRIGGER = Every(timedelta(hours=1), at_start=True)
STALE_TRIGGER = Every(timedelta(hours=1))
