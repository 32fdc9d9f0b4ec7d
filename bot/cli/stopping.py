"""SIGTERM and SIGINT for the long-running commands: stop taking work, finish, exit 0."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time

log = logging.getLogger(__name__)


class StopSignal:
    """Set by SIGTERM or SIGINT; the main thread waits on it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.received = ""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.received = signal.Signals(signum).name
        self._event.set()

    def set(self) -> None:
        """Stop as if signalled (Socket Mode's connection ending, say)."""
        self._event.set()

    def wait(self) -> None:
        """Block until signalled."""
        # A timed wait hands the main thread back regularly, so the signal handler runs promptly.
        while not self._event.is_set():
            self._event.wait(1.0)


def deadline_after(grace: float) -> float:
    """The time.monotonic() by which shutdown must be over."""
    return time.monotonic() + grace


def remaining(deadline: float) -> float:
    """Seconds left until `deadline` (never negative)."""
    return max(0.0, deadline - time.monotonic())


def exit_now_if(stragglers: bool) -> None:
    """End the process at once (exit 0) when work outlasted the grace period.

    Python would otherwise wait for every non-daemon thread at exit, past the grace; what those
    threads did not commit is rolled back by the database, and their rows are handed back.
    """
    if not stragglers:
        return
    log.warning("work still running at the end of the grace period; exiting without it")
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
