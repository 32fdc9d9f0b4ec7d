"""Scheduled runs: the front matter's `schedule:`, `timezone:`, `due:` and `managers:`, and when.

An entry reads `DAYS HH:MM CHANNEL`: "weekdays 21:00 #store-42", "mon,thu 09:30 #support",
"every day 08:00 #openers". Times are wall-clock times in the SOP's zone; on a day whose
clocks skip that time it falls just after the gap, on a day that repeats it, the first one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.core.model import quoted

KEYS: tuple[str, ...] = ("schedule", "timezone", "due", "managers")
DEFAULT_DUE_MINUTES = 60
EXAMPLE = '"weekdays 21:00 #store-42"'
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SETS = {
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
    "every day": frozenset(range(7)),
    "daily": frozenset(range(7)),
}
ENTRY_RE = re.compile(
    r"^(?P<days>.+?)\s+(?P<hh>\d{1,2}):(?P<mm>\d{2})\s+(?P<channel>#[a-z0-9_-]+|[CG][A-Z0-9]{6,})$"
)
DUE_RE = re.compile(r"^(\d+)\s*(m|min|h|d)$", re.IGNORECASE)
MINUTES_PER_UNIT = {"m": 1, "min": 1, "h": 60, "d": 1440}
MANAGERS_RE = re.compile(r"^(#[a-z0-9_-]+|[CG][A-Z0-9]{6,})$")


@dataclass(frozen=True)
class ScheduleEntry:
    """One `schedule:` entry: on which weekdays (0 = Monday), at what local time, where."""

    text: str
    weekdays: frozenset[int]
    at: time
    channel: str  # "#name" or a channel ID, as written

    def occurrences(
        self, zone: ZoneInfo, *, after: datetime, until: datetime
    ) -> Iterator[datetime]:
        """Each time this entry falls due in (after, until], oldest first, in UTC."""
        day = after.astimezone(zone).date() - timedelta(days=1)
        last = until.astimezone(zone).date()
        while day <= last:
            if day.weekday() in self.weekdays:
                moment = local_moment(day, self.at, zone)
                if after < moment <= until:
                    yield moment
            day += timedelta(days=1)


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on local `day` in UTC, DST-safe: a skipped time moves past the gap by its length,
    a repeated one is the first (zoneinfo's fold=0 gives both)."""
    return datetime.combine(day, at).replace(tzinfo=zone).astimezone(UTC)


def parse_entry(text: str) -> ScheduleEntry | None:
    """`"weekdays 21:00 #store-42"` -> a ScheduleEntry; None when it is not one."""
    match = ENTRY_RE.match(" ".join(text.split()))
    if not match:
        return None
    hours, minutes = int(match["hh"]), int(match["mm"])
    if hours > 23 or minutes > 59:
        return None
    days = _weekdays(match["days"].lower())
    if not days:
        return None
    return ScheduleEntry(text, days, time(hours, minutes), match["channel"])


def _weekdays(text: str) -> frozenset[int]:
    if text in DAY_SETS:
        return DAY_SETS[text]
    found: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            return frozenset()
        a, b = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        found.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(found)


def entries(texts: tuple[str, ...]) -> tuple[ScheduleEntry, ...]:
    """The parsed entries of a published SOP (validated when it was published)."""
    return tuple(e for e in (parse_entry(t) for t in texts) if e is not None)


# -- front matter readers (bot/core/frontmatter.py calls these) ---------------------------------

Problems = list[tuple[yaml.Node, str]]


def read_schedule(fm: Any, value: Any, node: yaml.Node) -> Problems:
    """`schedule:` one entry or a list of them."""
    problems: Problems = []
    found: list[str] = []
    pairs = (
        list(zip(value, node.value, strict=True))
        if isinstance(value, list) and isinstance(node, yaml.SequenceNode)
        else [(value, node)]
    )
    for entry, entry_node in pairs:
        text = " ".join(entry.split()) if isinstance(entry, str) else ""
        if parse_entry(text) is None:
            problems.append(
                (
                    entry_node,
                    f"schedule entry {quoted(entry)} must be days, a 24-hour time and a channel, "
                    f'e.g. {EXAMPLE}, "mon,thu 09:30 #support" or "every day 08:00 #openers"',
                )
            )
        elif text not in found:
            found.append(text)
    fm.schedule = tuple(found)
    return problems


def read_timezone(fm: Any, value: Any, node: yaml.Node) -> Problems:
    """`timezone:` an IANA zone name."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        return [(node, f"timezone {quoted(value)} must be an IANA zone, e.g. Europe/Berlin")]
    fm.timezone = text
    return []


def read_due(fm: Any, value: Any, node: yaml.Node) -> Problems:
    """`due:` how long after its start a scheduled run must be finished."""
    match = DUE_RE.match(value.strip()) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        return [(node, f"due {quoted(value)} must be minutes, hours or days, e.g. 30m, 1h or 1d")]
    fm.due_minutes = int(match.group(1)) * MINUTES_PER_UNIT[match.group(2).lower()]
    return []


def read_managers(fm: Any, value: Any, node: yaml.Node) -> Problems:
    """`managers:` the channel of this SOP's managers."""
    text = value.strip() if isinstance(value, str) else ""
    if not MANAGERS_RE.match(text):
        message = (
            f"managers {quoted(value)} must be one channel, quoted, "
            'e.g. managers: "#store-managers" or its ID like C024BE91L'
        )
        return [(node, message)]
    fm.managers = text
    return []


READERS = {
    "schedule": read_schedule,
    "timezone": read_timezone,
    "due": read_due,
    "managers": read_managers,
}
