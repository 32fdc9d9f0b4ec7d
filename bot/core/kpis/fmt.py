"""How KPI numbers read in text: percentages, minutes, name lists; "—" for no value."""

from __future__ import annotations

import math
from collections.abc import Sequence

NONE = "—"


def half_up(value: float, digits: int = 0) -> float:
    """Round half away from zero for positive values (12.5 -> 13), unlike round()."""
    scale = 10**digits
    return math.floor(value * scale + 0.5) / scale


def percent(value: float | None) -> str:
    """83%; never rounds a non-zero share to 0% or an incomplete one to 100%."""
    if value is None:
        return NONE
    shown = int(half_up(value * 100))
    if shown == 100 and value < 1:
        shown = 99
    elif shown == 0 and value > 0:
        shown = 1
    return f"{shown}%"


def minutes(value: float | None) -> str:
    """12 min, 4.5 min, 0.3 min."""
    if value is None:
        return NONE
    if value >= 10:
        return f"{half_up(value):.0f} min"
    return f"{half_up(value, 1):.1f} min"


def number(value: float | None, unit: str = "") -> str:
    """A count or a one-decimal value with an optional unit, or "—"."""
    if value is None:
        return NONE
    text = f"{value:.0f}" if float(value).is_integer() else f"{half_up(value, 1):.1f}"
    return f"{text} {unit}".rstrip()


def plural(count: int, word: str, many: str | None = None) -> str:
    """1 run, 2 runs."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def name_list(names: Sequence[str], limit: int = 10) -> str:
    """Up to `limit` names, then "and N more": "Ann, Bo, Cy and 4 more"; "—" for nobody."""
    if not names:
        return NONE
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
