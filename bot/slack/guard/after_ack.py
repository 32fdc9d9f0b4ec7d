"""Work that runs after a listener's ack, on its own threads, so acks never queue behind it.

Over HTTP, work handed over while a request is being answered waits until the answer is
sent (`until_answered`): started at once, it took the GIL from the thread finishing the ack,
and bench/ack_latency.py measured every ack a few milliseconds slower for it.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
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
        held = _answering.get()
        if held is None or not held.keep(lambda: self._start(work, args, kwargs)):
            self._start(work, args, kwargs)

    def _start(self, work: Callable[..., Any], args: tuple, kwargs: dict) -> None:
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


class _Held:
    """Work handed over while one request is being answered, started once it is answered."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._starts: list[Callable[[], None]] | None = []

    def keep(self, start: Callable[[], None]) -> bool:
        """Keep `start` for later; False once the answer has gone (the caller starts it)."""
        with self._lock:
            if self._starts is None:
                return False
            self._starts.append(start)
            return True

    def release(self) -> None:
        """The answer has gone: start what was kept, in order, and keep nothing more."""
        with self._lock:
            starts, self._starts = self._starts or [], None
        for start in starts:
            start()


_answering: contextvars.ContextVar[_Held | None] = contextvars.ContextVar(
    "sopbot_answering", default=None
)


class _ReleasingBody:
    """A WSGI body that starts the request's held work when the server closes it."""

    def __init__(self, body: Iterable[bytes], held: _Held) -> None:
        self._body, self._held = body, held

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            if hasattr(self._body, "close"):
                self._body.close()
        finally:
            self._held.release()


def until_answered(app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
    """Wrap a WSGI app: after-ack work a request hands over starts once its answer is sent."""

    def answered_first(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        held = _Held()
        token = _answering.set(held)
        try:
            body = app(environ, start_response)
        except BaseException:
            held.release()
            raise
        finally:
            _answering.reset(token)
        return _ReleasingBody(body, held)

    return answered_first


class ListenerThreads(ThreadPoolExecutor):
    """bolt's listener pool; each listener runs in the context of the request that started it,
    so the work it hands over waits for that request's answer (see `until_answered`)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
