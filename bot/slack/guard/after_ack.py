"""Work that runs after a listener's ack, on its own threads, so acks never queue behind it."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from typing import Any

from bot import logs, metrics
from bot.db.session import is_unavailable
from bot.slack.guard.unavailable import database_notice
from bot.slack.kit.notices import plain_notice
from bot.threads import WORK_THREADS

log = logging.getLogger(__name__)
# Work waiting for a thread, beyond the ones running. At a few hundred milliseconds a piece,
# 32 threads get through 200 in a few seconds; a longer queue would only make people wait
# longer than trying again would, while every waiting request holds its body in memory.
QUEUE_LIMIT = 200
BUSY = "sopbot is busy right now, try again in a minute."
RESTARTING = "sopbot restarted before it got to this; please try again."


def error_notice(error_id: str) -> dict:
    """The one message a person sees when sopbot fails on its own side."""
    return plain_notice(
        f"Something went wrong on our side (error {error_id}). "
        "Please try again; if it keeps happening, tell your admin."
    )


def _tell(respond: Any, message: dict) -> None:
    """Answer through the request's response_url, ephemerally, when it has one."""
    if respond is not None and getattr(respond, "response_url", None):
        respond({**message, "response_type": "ephemeral", "replace_original": False})


@dataclass(frozen=True)
class Drained:
    """What a shutdown did with the work it found: finished, handed back, or left running."""

    finished: int = 0
    handed_back: int = 0
    still_running: int = 0


class AfterAck:
    """A bounded pool for listener work; failures are logged once with an ID and told to the
    person, and work that finds the queue full is refused with a short note."""

    def __init__(self, threads: int = WORK_THREADS, queue: int = QUEUE_LIMIT) -> None:
        self._pool = logs.ContextExecutor(threads, thread_name_prefix="work")
        # ThreadPoolExecutor's own queue has no bound; this counts running plus waiting work.
        self._slots = threading.BoundedSemaphore(threads + queue)
        # Work not yet done, with its `respond`, so a shutdown can hand it back to the person.
        self._pending: dict[Future, Any] = {}
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Run `work(*args, **kwargs)` soon; a `respond` keyword also receives error notices."""
        self._submit(work, args, kwargs)

    def _submit(
        self,
        work: Callable[..., Any],
        args: tuple,
        kwargs: dict,
        on_done: Callable[[], None] | None = None,
    ) -> bool:
        """Queue the work (False: refused, its person told); `on_done` runs once it ends."""
        if not self._admit(work, kwargs):
            return False
        try:
            future = self._pool.submit(self._run, work, args, kwargs)
        except BaseException:
            self._slots.release()
            raise
        submitted = time.perf_counter()
        metrics.AFTER_ACK_DEPTH.inc()
        with self._lock:
            self._pending[future] = kwargs.get("respond")
        future.add_done_callback(lambda done: self._done(done, submitted, on_done))
        return True

    def _admit(self, work: Callable[..., Any], kwargs: dict) -> bool:
        """Take a slot for the work; if closed or full, tell its person and say no."""
        if self._closed:
            log.warning("shutting down; handed back %s", getattr(work, "__qualname__", work))
            metrics.AFTER_ACK_REFUSED.inc()
            _tell(kwargs.get("respond"), plain_notice(RESTARTING))
            return False
        if not self._slots.acquire(blocking=False):
            log.warning("after-ack queue full; refused %s", getattr(work, "__qualname__", work))
            metrics.AFTER_ACK_REFUSED.inc()
            _tell(kwargs.get("respond"), plain_notice(BUSY))
            return False
        return True

    def _done(
        self, future: Future, submitted: float, on_done: Callable[[], None] | None = None
    ) -> None:
        self._slots.release()
        metrics.AFTER_ACK_DEPTH.dec()
        if not future.cancelled():
            metrics.AFTER_ACK_SECONDS.observe(time.perf_counter() - submitted)
        with self._lock:
            self._pending.pop(future, None)
        if on_done is not None:
            on_done()

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the threads (tests: after waiting for the work still running)."""
        self._pool.shutdown(wait=wait)

    def depth(self) -> int:
        """Pieces of work running or waiting."""
        with self._lock:
            return len(self._pending)

    def drain(self, *, deadline: float) -> Drained:
        """Take no more work; finish what is queued by `deadline` (time.monotonic()), then tell
        the people whose work never started to try again. Running work is left to end."""
        self._closed = True
        with self._lock:
            pending = dict(self._pending)
        done, not_done = wait(pending, timeout=max(0.0, deadline - time.monotonic()))
        handed_back = 0
        for future in not_done:
            if future.cancel():  # never started: nothing of it happened
                handed_back += 1
                _tell(pending[future], plain_notice(RESTARTING))
        self._pool.shutdown(wait=False, cancel_futures=True)
        running = sum(1 for f in not_done if not f.cancelled() and not f.done())
        return Drained(len(done), handed_back, running)

    @staticmethod
    def _run(work: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        name = getattr(work, "__qualname__", work)
        try:
            work(*args, **kwargs)
        except Exception as error:
            if is_unavailable(error):
                # Not a bug of ours, and one line is enough while it lasts: no traceback.
                log.warning("database unavailable (%s) in %s", type(error).__name__, name)
                notice = database_notice()
            else:
                error_id = uuid.uuid4().hex[:8]
                log.exception("error %s in %s", error_id, name, extra={"error_id": error_id})
                notice = error_notice(error_id)
            _tell(kwargs.get("respond"), notice)


class Workers:
    """Bolt's listener threads and the after-ack threads, shut down together."""

    def __init__(self, listeners: Executor, after_ack: AfterAck) -> None:
        self.listeners, self.after_ack = listeners, after_ack

    def shutdown(self, wait: bool = True) -> None:
        """Stop both; listeners first, because they hand work to the other pool."""
        self.listeners.shutdown(wait=wait)
        self.after_ack.shutdown(wait=wait)

    def drain(self, *, deadline: float) -> Drained:
        """Graceful stop by `deadline` (time.monotonic()): listeners end their acks (and hand
        their work over), then the after-ack work finishes or goes back to its people."""
        waiter = threading.Thread(
            target=self.listeners.shutdown, name="listeners-stop", daemon=True
        )
        waiter.start()
        waiter.join(max(0.0, deadline - time.monotonic()))
        drained = self.after_ack.drain(deadline=deadline)
        if waiter.is_alive():
            return Drained(drained.finished, drained.handed_back, drained.still_running + 1)
        return drained
