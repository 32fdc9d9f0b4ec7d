"""Background work of `sopbot run` and `sopbot worker`: the outbox dispatcher and timed jobs."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot import metrics
from bot.jobs import (
    cast,
    digest,
    git_sync,
    ratelimit,
    retention,
    scheduled,
    team_digests,
    training,
)
from bot.jobs.context import JobContext
from bot.jobs.dispatcher import Dispatcher
from bot.jobs.triggers import Every
from bot.memory import release_freed_memory
from bot.services import feedback_quota
from bot.threads import JOB_THREADS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """`run(job_context)` on `trigger`. Every process runs it, so it must be idempotent."""

    id: str
    run: Callable[[JobContext], object]
    trigger: BaseTrigger


def prune_rate_limits(job: JobContext) -> None:
    """Drop per-channel budgets nobody used for an hour."""
    with job.runtime.database.session() as session:
        ratelimit.prune(session, before=job.runtime.clock() - timedelta(hours=1))


def forget_feedback_quota(job: JobContext) -> None:
    """Delete the feedback limiter's counters of ended hours, feedback or not."""
    with job.runtime.database.session() as session:
        feedback_quota.forget_ended(session, now=job.runtime.clock())


# On the hour, so an ended hour's counters go at once; every five minutes in case one was missed.
FORGET_QUOTA_TRIGGER = CronTrigger(minute="*/5", timezone=UTC)

STANDARD_JOBS: tuple[JobSpec, ...] = (
    JobSpec("prune-rate-limits", prune_rate_limits, Every(timedelta(minutes=10))),
    JobSpec("forget-feedback-quota", forget_feedback_quota, FORGET_QUOTA_TRIGGER),
    JobSpec("training-assign", training.assign_job, training.ASSIGN_TRIGGER),
    JobSpec("training-remind", training.remind_job, training.REMIND_TRIGGER),
    JobSpec("cast-refresh", cast.refresh_job, cast.REFRESH_TRIGGER),
    JobSpec("digest-tick", digest.tick_job, digest.TICK_TRIGGER),
    JobSpec("kpi-rollup", digest.rollup_job, digest.ROLLUP_TRIGGER),
    JobSpec("sop-review-nudges", digest.stale_job, digest.STALE_TRIGGER),
    JobSpec("scheduled-runs", scheduled.scheduled_runs_job, scheduled.TICK_TRIGGER),
    JobSpec("team-digests", team_digests.team_digests_job, team_digests.TICK_TRIGGER),
    JobSpec("prune-event-claims", retention.prune_claims_job, retention.CLAIMS_TRIGGER),
    JobSpec("retention", retention.retention_job, retention.RETENTION_TRIGGER),
    JobSpec("git-sync", git_sync.sync_job, git_sync.SYNC_TRIGGER),
)


class Background:
    """The scheduler and the dispatcher thread, started and stopped together."""

    def __init__(self, scheduler: BackgroundScheduler, dispatcher: Dispatcher) -> None:
        self.scheduler = scheduler
        self.dispatcher = dispatcher
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=dispatcher.run_forever, args=(self._stop,), name="outbox", daemon=True
        )

    def start(self) -> Background:
        """Start the scheduler and the dispatcher; returns at once."""
        self.scheduler.start()
        self._thread.start()
        return self

    def __enter__(self) -> Background:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, timeout: float = 30.0) -> bool:
        """Let the current send and jobs finish within `timeout` seconds; hand every row still
        leased back. False if something was still running at the end (a job, a send)."""
        deadline = time.monotonic() + timeout
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline - time.monotonic()))
        sending = self._thread.is_alive()
        if sending:
            # The send outlasted the grace: another dispatcher may take its row now; the row
            # stays `sending`, so that one first looks in Slack for this attempt.
            log.warning("outbox dispatcher still sending at the end of the grace period")
        try:
            released = self.dispatcher.hand_back()
        except Exception as exc:  # noqa: BLE001 - database gone: the leases expire on their own
            log.warning("could not hand back leased outbox rows (%s)", type(exc).__name__)
            released = 0
        if released:
            log.info("handed %d leased outbox rows back", released)
        jobs_done = True
        if self.scheduler.running:
            # shutdown(wait=True) has no timeout; waiting for it on a thread gives it one.
            waiter = threading.Thread(target=self.scheduler.shutdown, name="jobs-stop", daemon=True)
            waiter.start()
            waiter.join(max(0.0, deadline - time.monotonic()))
            jobs_done = not waiter.is_alive()
            if not jobs_done:
                log.warning("a scheduled job was still running at the end of the grace period")
        return jobs_done and not sending


def counted(spec: JobSpec) -> Callable[[JobContext], None]:
    """`spec.run`, with its runs, failures and duration in the metrics."""

    @functools.wraps(spec.run)  # APScheduler's log lines name the job's own function
    def run(job: JobContext) -> None:
        with metrics.JOB_SECONDS.labels(spec.id).time():
            try:
                spec.run(job)
            except Exception:
                metrics.JOB_RUNS.labels(spec.id, "failed").inc()
                raise  # APScheduler logs it
            finally:
                release_freed_memory()  # what the job freed, back to the system (bot.memory)
        metrics.JOB_RUNS.labels(spec.id, "ok").inc()

    return run


def schedule(job: JobContext, *, jobs: Sequence[JobSpec]) -> BackgroundScheduler:
    """`jobs` on an APScheduler BackgroundScheduler (not yet started), each given `job`."""
    # Its pool counts towards the database connections (bot/threads.py).
    scheduler = BackgroundScheduler(
        timezone=UTC, executors={"default": ThreadPoolExecutor(JOB_THREADS)}
    )
    for spec in jobs:
        # One run at a time per process; runs missed while busy collapse into one.
        scheduler.add_job(
            counted(spec),
            trigger=spec.trigger,
            args=(job,),
            id=spec.id,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    return scheduler
