"""Work that runs after a listener's ack, on its own threads, so acks never queue behind it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

from bot.db.session import is_unavailable
from bot.slack.blocks.lookup import plain_notice
from bot.slack.unavailable import database_notice
from bot.threads import WORK_THREADS

log = logging.getLogger(__name__)


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
            respond = kwargs.get("respond")
            if respond is not None and getattr(respond, "response_url", None):
                respond({**notice, "response_type": "ephemeral", "replace_original": False})


class Workers:
    """Bolt's listener threads and the after-ack threads, shut down together."""

    def __init__(self, listeners: Executor, after_ack: AfterAck) -> None:
        self.listeners, self.after_ack = listeners, after_ack

    def shutdown(self, wait: bool = True) -> None:
        """Stop both; listeners first, because they hand work to the other pool."""
        self.listeners.shutdown(wait=wait)
        self.after_ack._pool.shutdown(wait=wait)
