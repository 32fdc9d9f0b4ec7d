"""Work that runs after a listener's ack, on its own threads, so acks never queue behind it."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

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


class AfterAck:
    """A bounded pool for listener work; failures are logged once with an ID and told to the
    person, and work that finds the queue full is refused with a short note."""

    def __init__(self, threads: int = WORK_THREADS, queue: int = QUEUE_LIMIT) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="work")
        # ThreadPoolExecutor's own queue has no bound; this counts running plus waiting work.
        self._slots = threading.BoundedSemaphore(threads + queue)

    def submit(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Run `work(*args, **kwargs)` soon; a `respond` keyword also receives error notices."""
        if not self._slots.acquire(blocking=False):
            log.warning("after-ack queue full; refused %s", getattr(work, "__qualname__", work))
            _tell(kwargs.get("respond"), plain_notice(BUSY))
            return
        try:
            future = self._pool.submit(self._run, work, args, kwargs)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())

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
                log.exception("error %s in %s", error_id, name)
                notice = error_notice(error_id)
            _tell(kwargs.get("respond"), notice)


class Workers:
    """Bolt's listener threads and the after-ack threads, shut down together."""

    def __init__(self, listeners: Executor, after_ack: AfterAck) -> None:
        self.listeners, self.after_ack = listeners, after_ack

    def shutdown(self, wait: bool = True) -> None:
        """Stop both; listeners first, because they hand work to the other pool."""
        self.listeners.shutdown(wait=wait)
        self.after_ack._pool.shutdown(wait=wait)
