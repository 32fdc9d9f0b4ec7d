"""Where and when the daily digest goes: environment defaults, overridden per workspace."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db.models import Workspace

SETTINGS_KEY = "digest"
EVERY_DAY = frozenset(range(7))  # Monday is 0, as date.weekday() counts
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class DigestConfig:
    """Channel, local time, time zone, posting weekdays, and whether to skip quiet days."""

    channel: str | None
    at: time
    tz: str
    weekdays: frozenset[int] = field(default=EVERY_DAY)
    skip_empty: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def due_at(self, posting_day: date) -> datetime:
        """The UTC instant the digest posted on `posting_day` is due (DST-correct).

        A time the clocks skip (02:30 on a spring-forward night) is read with the offset
        before the jump, so it lands in the hour after it, as zoneinfo does.
        """
        return datetime.combine(posting_day, self.at, tzinfo=self.zone).astimezone(UTC)

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "time": self.at.strftime("%H:%M"),
            "tz": self.tz,
            "weekdays": sorted(self.weekdays),
            "skip_empty": self.skip_empty,
        }

    def describe(self) -> str:
        """`#C0123 at 09:00 Europe/Berlin, Mon–Fri`."""
        days = (
            "every day"
            if self.weekdays == EVERY_DAY
            else ", ".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        )
        where = f"<#{self.channel}>" if self.channel else "no channel"
        quiet = ", quiet days skipped" if self.skip_empty else ""
        return f"{where} at {self.at:%H:%M} {self.tz}, {days}{quiet}"


class ConfigProblem(ValueError):
    """A value a person entered that cannot be used; the message says how to fix it."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def defaults(settings: Settings) -> DigestConfig:
    """The configuration from the environment (MANAGER_CHANNEL, DIGEST_TIME, DIGEST_TZ)."""
    return DigestConfig(settings.manager_channel, settings.digest_time, settings.digest_tz)


def parse(values: dict[str, Any], base: DigestConfig) -> DigestConfig:
    """A configuration from stored or submitted values; missing ones keep `base`'s."""
    channel = values.get("channel", base.channel) or None
    if channel is not None and not _CHANNEL.match(str(channel)):
        raise ConfigProblem("channel", "Pick a channel (not a person or a DM).")
    raw_time = str(values.get("time") or base.at.strftime("%H:%M"))
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", raw_time)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigProblem("time", "Use a time of day such as 09:00.")
    tz = str(values.get("tz") or base.tz)
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigProblem(
            "tz", f"{tz[:60]} is not a time zone; use e.g. Europe/Berlin."
        ) from None
    weekdays = values.get("weekdays", sorted(base.weekdays))
    days = frozenset(int(d) for d in weekdays if str(d).isdigit() and 0 <= int(d) <= 6)
    if not days:
        raise ConfigProblem("weekdays", "Pick at least one day.")
    return DigestConfig(
        channel=channel,
        at=time(int(match[1]), int(match[2])),
        tz=tz,
        weekdays=days,
        skip_empty=bool(values.get("skip_empty", base.skip_empty)),
    )


def load(session: Session, *, settings: Settings, workspace: Workspace) -> DigestConfig:
    """The workspace's digest configuration (environment values where it stored none)."""
    stored = (workspace.settings or {}).get(SETTINGS_KEY) or {}
    base = defaults(settings)
    try:
        return parse(stored, base)
    except ConfigProblem:
        return base  # a value stored by an older version that no longer parses


def save(session: Session, *, workspace: Workspace, config: DigestConfig) -> None:
    """Store the configuration in the workspace's settings."""
    # A new dict, not an in-place change: the JSON column only notices reassignment.
    workspace.settings = {**(workspace.settings or {}), SETTINGS_KEY: config.to_json()}


def posting_days(config: DigestConfig, now: datetime) -> list[date]:
    """Local posting days whose digest time may be near `now`: yesterday's and today's."""
    today = now.astimezone(config.zone).date()
    return [today - timedelta(days=1), today]
