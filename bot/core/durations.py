"""Expected step times: read `Time: 5m` / `1h 30m` and write them back short."""

from __future__ import annotations

import re

MAX_STEP_SECONDS = 7 * 24 * 3600
_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
}  # fmt: skip
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")


def parse_step_time(text: str) -> int | None:
    """Seconds for `5m`, `90 s`, `1h 30m`, `1.5 h`; None when the text is not such a time."""
    rest, total = text.strip().lower(), 0.0
    if not rest:
        return None
    while rest:
        match = _PART.match(rest)
        if match is None or match[2] not in _UNITS:
            return None
        total += float(match[1]) * _UNITS[match[2]]
        rest = rest[match.end() :].lstrip(" ,")
    seconds = round(total)
    return seconds if 0 < seconds <= MAX_STEP_SECONDS else None


def step_time_text(seconds: float) -> str:
    """`45 s`, `5 min`, `1 h 30 min`: how a step's time is written in files and messages."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def step_time_line(seconds: float) -> str:
    """The `Time:` value for a file: `45s`, `5m`, `1h 30m` (what parse_step_time reads back)."""
    return step_time_text(seconds).replace(" min", "m").replace(" h", "h").replace(" s", "s")
