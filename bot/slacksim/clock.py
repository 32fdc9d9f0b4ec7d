"""Clocks for the simulated workspace: the real one, and one a test moves by hand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], float]
"""Seconds since the epoch, like `time.time` (what the simulated workspace stamps with)."""

system_clock: Clock = time.time
DEFAULT_START = datetime.fromtimestamp(1732870000, UTC)


class ManualClock:
    """The tests' one clock: it moves only when a test says so.

    The bot reads it by calling it (an aware UTC datetime, as `Runtime.clock`); the simulated
    workspace reads `time` (seconds, for trigger and response_url expiry). The playground's
    PlayClock has the same shape, but ticks in real time.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def time(self) -> float:
        """Seconds since the epoch."""
        return self().timestamp()

    def advance(self, seconds: float = 0.0, **delta: float) -> datetime:
        """Move forward by `seconds` and/or a timedelta's keywords; return the new time."""
        step = timedelta(seconds=seconds, **delta)
        if step < timedelta(0):
            raise ValueError("a clock does not run backwards")
        with self._lock:
            self._now += step
            return self._now
