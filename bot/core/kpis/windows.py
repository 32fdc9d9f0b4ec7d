"""Half-open time windows and calendar days in the digest's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

PERIODS = (7, 30)  # the days /sop kpis can show (7d, 30d); the rollup job sums their spans


@dataclass(frozen=True, slots=True)
class Window:
    """The instants `start <= t < end` (aware datetimes)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a Window needs aware datetimes (use datetime.now(UTC))")
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")

    def __contains__(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def duration(self) -> timedelta:
        """How long the window is (a DST day is 23 or 25 hours)."""
        return self.end - self.start


def _midnight(day: date, tz: tzinfo) -> datetime:
    # fold=0 picks the first of two midnights when clocks go back, and for a midnight the
    # clocks skip it maps to the instant of the jump: the day starts when it really starts.
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def day_window(day: date, tz: tzinfo) -> Window:
    """The calendar `day` in time zone `tz`, from its local midnight to the next one (in UTC)."""
    return Window(_midnight(day, tz), _midnight(day + timedelta(days=1), tz))


def trailing_windows(day: date, tz: tzinfo, days: int = 7) -> tuple[Window, Window]:
    """The `days` local days ending with `day` (inclusive), and the `days` days before them."""
    if days < 1:
        raise ValueError("days must be at least 1")
    first = day - timedelta(days=days - 1)
    current = Window(_midnight(first, tz), _midnight(day + timedelta(days=1), tz))
    previous = Window(_midnight(first - timedelta(days=days), tz), current.start)
    return current, previous


def local_day(at: datetime, tz: tzinfo) -> date:
    """The calendar day in `tz` that the instant `at` falls on."""
    return at.astimezone(tz).date()


def span_ranges(today: date, days: int) -> list[tuple[date, date]]:
    """The whole days a `days`-day KPI window ending `today` reads: the window before it, and
    its own days before today (today is still going). Each may be read as one stored span."""
    previous = (today - timedelta(days=2 * days - 1), today - timedelta(days=days))
    current = (today - timedelta(days=days - 1), today - timedelta(days=1))
    return [r for r in (previous, current) if r[0] <= r[1]]
