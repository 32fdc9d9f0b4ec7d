"""The playground's clock: the wall clock plus however far the person has moved it forward."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time


class PlayClock:
    """Ticks in real time and jumps forward on request; the bot and the fake Slack share it."""

    def __init__(self, start: datetime | None = None, *, wall: Callable[[], float] = time.time):
        self._wall = wall
        self._lock = threading.Lock()
        self._offset = 0.0 if start is None else start.timestamp() - wall()

    def time(self) -> float:
        """Seconds since the epoch (what the simulated workspace stamps messages with)."""
        with self._lock:
            return self._wall() + self._offset

    def __call__(self) -> datetime:
        """An aware UTC datetime (what Runtime.clock returns to the bot)."""
        return datetime.fromtimestamp(self.time(), UTC)

    def advance(self, seconds: float) -> datetime:
        """Jump forward by `seconds`; time never runs backwards."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self()

    def rewind_to(self, moment: datetime) -> None:
        """Set the clock back to `moment`; only before anything ran (to play history from)."""
        with self._lock:
            self._offset = moment.timestamp() - self._wall()

    def advance_to(self, moment: datetime) -> datetime:
        """Jump forward to `moment` (no-op when it has already passed)."""
        return self.advance(max(0.0, moment.timestamp() - self.time()))


def next_time_of_day(now: datetime, hour: int, minute: int, zone) -> datetime:
    """The next moment strictly after `now` when the clock in `zone` reads hour:minute."""
    local = now.astimezone(zone)
    candidate = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = (candidate + timedelta(days=1)).replace(hour=hour, minute=minute)
    return candidate.astimezone(UTC)


def digest_covering_today(now: datetime, config) -> tuple[datetime, date]:
    """The next digest that covers today's local day or a later one: (when it posts, its day).

    The digest posted on a local day covers the day before, so the one showing what was just
    done is the first posting after midnight, on a posting weekday: at most a week away.
    """
    zone = config.zone
    midnight = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), clock_time(), zone)
    due = midnight - timedelta(microseconds=1)
    for _ in range(8):
        due = next_time_of_day(due, config.at.hour, config.at.minute, zone)
        if due.astimezone(zone).weekday() in config.weekdays:
            break
    posting_day = due.astimezone(zone).date()
    return due, posting_day - timedelta(days=1)
