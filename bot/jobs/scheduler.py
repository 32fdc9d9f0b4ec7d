"""Background work of `sopbot run` and `sopbot worker`: the outbox dispatcher and timed jobs."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from slack_sdk import WebClient

from bot.config import Settings
from bot.jobs import digest, ratelimit, retention, training
from bot.jobs.dispatcher import DeliveryLimits, Dispatcher
from bot.jobs.triggers import Every
from bot.runtime import Runtime
from bot.services import feedback_quota
from bot.slack.outgoing import GuardedWebClient
from bot.threads import JOB_THREADS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobSpec:
    """`run(runtime)` on `trigger`. Every process runs it, so it must be idempotent."""

    id: str
    run: Callable[[Runtime], object]
    trigger: BaseTrigger


def prune_rate_limits(runtime: Runtime) -> None:
    """Drop per-channel budgets nobody used for an hour."""
    with runtime.database.session() as session:
        ratelimit.prune(session, before=runtime.clock() - timedelta(hours=1))


def forget_feedback_quota(runtime: Runtime) -> None:
    """Delete the feedback limiter's counters of ended hours, feedback or not."""
    with runtime.database.session() as session:
        feedback_quota.forget_ended(session, now=runtime.clock())


# On the hour, so an ended hour's counters go at once; every five minutes in case one was missed.
FORGET_QUOTA_TRIGGER = CronTrigger(minute="*/5", timezone=UTC)

STANDARD_JOBS: tuple[JobSpec, ...] = (
    JobSpec("prune-rate-limits", prune_rate_limits, Every(timedelta(minutes=10))),
    JobSpec("forget-feedback-quota", forget_feedback_quota, FORGET_QUOTA_TRIGGER),
    JobSpec("training-assign", training.assign_job, training.ASSIGN_TRIGGER),
    JobSpec("training-remind", training.remind_job, training.REMIND_TRIGGER),
    JobSpec("digest-tick", digest.tick_job, digest.TICK_TRIGGER),
    JobSpec("kpi-rollup", digest.rollup_job, digest.ROLLUP_TRIGGER),
    JobSpec("sop-review-nudges", digest.stale_job, digest.STALE_TRIGGER),
    JobSpec("prune-event-claims", retention.prune_claims_job, retention.CLAIMS_TRIGGER),
    JobSpec("retention", retention.retention_job, retention.RETENTION_TRIGGER),
)


def slack_client(settings: Settings, *, limits: DeliveryLimits) -> WebClient:
    """A WebClient for the dispatcher: no slack_sdk retries (it retries itself, safely)."""
    return GuardedWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=min(30, limits.call_timeout()),
        retry_handlers=[],
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

    def stop(self, timeout: float = 30.0) -> None:
        """Let the current send finish, hand unsent claimed rows back, stop the jobs."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def build_scheduler(
    runtime: Runtime,
    *,
    jobs: Sequence[JobSpec],
    limits: DeliveryLimits | None = None,
    client: WebClient | None = None,
) -> Background:
    """The dispatcher plus `jobs` on an APScheduler BackgroundScheduler (not yet started)."""
    limits = limits or DeliveryLimits(per_minute=runtime.settings.outbox_per_minute)
    dispatcher = Dispatcher(
        database=runtime.database,
        client=client or slack_client(runtime.settings, limits=limits),
        clock=runtime.clock,
        limits=limits,
    )
    # Its pool counts towards the database connections (bot/threads.py).
    scheduler = BackgroundScheduler(
        timezone=UTC, executors={"default": ThreadPoolExecutor(JOB_THREADS)}
    )
    for job in jobs:
        # One run at a time per process; runs missed while busy collapse into one.
        scheduler.add_job(
            job.run,
            trigger=job.trigger,
            args=(runtime,),
            id=job.id,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
    return Background(scheduler, dispatcher)


@contextmanager
def in_background(
    runtime: Runtime, *, jobs: Sequence[JobSpec], enabled: bool = True
) -> Iterator[Background | None]:
    """Run the dispatcher and `jobs` while the block runs (`sopbot run` serves inside it)."""
    if not enabled:
        yield None
        return
    background = build_scheduler(runtime, jobs=jobs).start()
    try:
        yield background
    finally:
        background.stop()
