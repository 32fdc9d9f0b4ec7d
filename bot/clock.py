"""The clock every time stamp asks, in a module of its own: the CLI needs it before anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""What every time stamp and comparison asks: the wall clock, or a test's own."""


def utc_now() -> datetime:
    """The wall clock (tests and the playground pass their own)."""
    return datetime.now(UTC)
