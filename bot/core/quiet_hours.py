"""When a reminder may reach someone: weekdays, 08:00 to 20:00 in their own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_STARTS = time(8, 0)
DAY_ENDS = time(20, 0)
SATURDAY = 5


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone `name`; UTC when it is missing or unknown (Slack sometimes omits tz)."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def allowed(moment: datetime, tz: str | None) -> bool:
    """Whether `moment` is a weekday between 08:00 and 20:00 in zone `tz`."""
    local = moment.astimezone(zone(tz))
    return local.weekday() < SATURDAY and DAY_STARTS <= local.time() < DAY_ENDS


def next_allowed(moment: datetime, tz: str | None) -> datetime:
    """`moment` itself when allowed, else the next weekday 08:00 in zone `tz` (as UTC)."""
    if allowed(moment, tz):
        return moment
    local = moment.astimezone(zone(tz))
    day = local.date() if local.time() < DAY_STARTS else local.date() + timedelta(days=1)
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    # Built from wall-clock parts, so a daylight-saving change in between is handled by zoneinfo.
    return datetime.combine(day, DAY_STARTS, tzinfo=zone(tz)).astimezone(UTC)
