"""APScheduler triggers whose first fire time comes from the `now` they are asked at."""

from __future__ import annotations

from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger


class Every(BaseTrigger):
    """Fires every `interval`, first at `now` (`at_start`) or one interval after it.

    APScheduler's IntervalTrigger fixes its start at the wall-clock time it was built (at import),
    so a scheduler driven by another clock (the playground's, a test's) found its first run days
    away; this one derives every fire time from the `now` its scheduler passes in.
    """

    def __init__(self, interval: timedelta, *, at_start: bool = False) -> None:
        if interval <= timedelta(0):
            raise ValueError("the interval must be positive")
        self.interval = interval
        self.at_start = at_start

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        if previous_fire_time is not None:
            return previous_fire_time + self.interval
        return now if self.at_start else now + self.interval

    def __str__(self) -> str:
        return f"{'at start, then ' if self.at_start else ''}every {self.interval}"
