"""Clocks for the simulated workspace: the real one, and one a test moves by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds since the epoch, like `time.time`."""

system_clock: Clock = time.time


class ManualClock:
    """A clock that only moves when a test says so (trigger and response_url expiry)."""

    def __init__(self, start: float = 1732870000.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        with self._lock:
            self._now += seconds
            return self._now
