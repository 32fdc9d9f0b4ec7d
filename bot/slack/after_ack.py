"""Work that runs after a listener's ack, on its own threads, so acks never queue behind it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from bot.slack.blocks.lookup import plain_notice

log = logging.getLogger(__name__)
# Measured with bench/ack_latency.py: when the work shared bolt's listener threads, a burst of
# slow work left new requests waiting for a free thread just to ack (p50 1.5 s at 100 req/s).
WORK_THREADS = 32


def error_notice(error_id: str) -> dict:
    """The one message a person sees when sopbot fails on its own side."""
    return plain_notice(
        f"Something went wrong on our side (error {error_id}). "
        "Please try again; if it keeps happening, tell your admin."
    )


class AfterAck:
    """A pool for listener work; failures are logged once with an ID and told to the person."""

    def __init__(self, threads: int = WORK_THREADS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="work")

    def submit(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Run `work(*args, **kwargs)` soon; a `respond` keyword also receives error notices."""
        self._pool.submit(self._run, work, args, kwargs)

    @staticmethod
    def _run(work: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        try:
            work(*args, **kwargs)
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("error %s in %s", error_id, getattr(work, "__qualname__", work))
            respond = kwargs.get("respond")
            if respond is not None and getattr(respond, "response_url", None):
                respond(
                    {
                        **error_notice(error_id),
                        "response_type": "ephemeral",
                        "replace_original": False,
                    }
                )


class Workers:
    """Bolt's listener threads and the after-ack threads, shut down together."""

    def __init__(self, listeners: Executor, after_ack: AfterAck) -> None:
        self.listeners, self.after_ack = listeners, after_ack

    def shutdown(self, wait: bool = True) -> None:
        """Stop both; listeners first, because they hand work to the other pool."""
        self.listeners.shutdown(wait=wait)
        self.after_ack._pool.shutdown(wait=wait)
