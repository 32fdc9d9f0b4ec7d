"""Runs the bot's scheduled jobs and outbox on the playground clock, in the background or now."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from bot.jobs.dispatcher import DeliveryLimits
from bot.jobs.scheduler import Background
from bot.jobs.triggers import Every

log = logging.getLogger(__name__)

# A demo sends a handful of messages at a time and should not wait out Slack's per-channel
# pacing; the fake enforces no rate limits unless told to.
PLAY_LIMITS = DeliveryLimits(
    per_minute=6000, per_channel_per_second=100, tier3_per_minute=6000, burst=50, max_wait=1.0
)
MAX_DRAIN_ROUNDS = 50


@dataclass
class Scheduled:
    """One job of the bot's scheduler with the playground time it is next due."""

    id: str
    func: Any
    args: tuple
    trigger: Any
    due: datetime | None


class Ticker:
    """The scheduler's jobs, due by the playground clock, plus the outbox dispatcher.

    It takes the jobs from the same `build_scheduler` the real process uses, but never starts
    its APScheduler: APScheduler would fire on the wall clock, and the playground's time jumps.
    """

    def __init__(self, background: Background, clock: Any, *, interval: float = 0.5) -> None:
        self.dispatcher = background.dispatcher
        self.clock = clock
        self.interval = interval
        now = clock()
        self.jobs = [
            Scheduled(
                j.id, j.func, tuple(j.args), j.trigger, j.trigger.get_next_fire_time(None, now)
            )
            for j in background.scheduler.get_jobs()
        ]
        # Re-entrant: a jump holds it across its stops (held()) and ticks at each of them.
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.ran: list[tuple[datetime, str]] = []  # (when, job id), for the page and for tests

    def tick(self, *, only: Collection[str] | None = None) -> list[str]:
        """Run every job now due (once each, like a coalescing scheduler), then send the outbox.

        With `only`, the other jobs wait, still due, for a later tick.
        """
        with self._lock:
            now = self.clock()
            ran = []
            for job in self.jobs:
                if job.due is None or job.due > now or (only is not None and job.id not in only):
                    continue
                try:
                    job.func(*job.args)
                except Exception:
                    log.exception("playground: scheduled job %s failed", job.id)
                ran.append(job.id)
                self.ran.append((now, job.id))
                job.due = _next_due(job, now)
            self.drain()
            return ran

    @contextmanager
    def held(self) -> Iterator[None]:
        """Keep the ticker thread's ticks out while a jump moves the clock and ticks itself.

        Else a background tick landing between a clock move and the jump's tick runs the jobs
        just fallen due, and the jump, which reports what ran on the way, leaves them out.
        """
        with self._lock:
            yield

    def drain(self) -> int:
        """Send every outbox message that is due; returns how many got an outcome."""
        total = 0
        for _ in range(MAX_DRAIN_ROUNDS):
            handled = self.dispatcher.run_once()
            total += handled
            if handled == 0:
                break
        return total

    def start(self) -> Ticker:
        """Tick on a daemon thread until stop()."""
        self._thread = threading.Thread(target=self._loop, name="playground-ticker", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:
                # A failed cycle (say, the database is busy) must not end the demo.
                log.exception("playground: background tick failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


def _next_due(job: Scheduled, now: datetime) -> datetime | None:
    """The first fire time after `now`: runs skipped by a jump collapse into the one just run."""
    due = job.due
    if isinstance(job.trigger, Every) and due is not None and due <= now:
        # Counted, not stepped through: a jump of a month is 43,200 one-minute fire times.
        return due + ((now - due) // job.trigger.interval + 1) * job.trigger.interval
    if isinstance(job.trigger, CronTrigger) and due is not None and due <= now:
        return job.trigger.get_next_fire_time(None, now + timedelta(microseconds=1))
    for _ in range(100_000):
        if due is None or due > now:
            return due
        following = job.trigger.get_next_fire_time(due, now)
        due = following if following is None or following > due else None
    return None
