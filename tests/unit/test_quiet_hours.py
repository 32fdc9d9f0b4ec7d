"""Reminders wait for weekdays, 08:00 to 20:00, in the recipient's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.quiet_hours import allowed, next_allowed


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# 2026-12-04 is a Friday; 2026-12-07 a Monday.
@pytest.mark.parametrize(
    ("moment", "tz", "expected"),
    [
        (utc(2026, 12, 2, 10, 0), "Europe/Berlin", utc(2026, 12, 2, 10, 0)),  # 11:00 Wed: now
        (utc(2026, 12, 2, 19, 30), "Europe/Berlin", utc(2026, 12, 3, 7, 0)),  # 20:30: 08:00 next
        (utc(2026, 12, 2, 6, 0), "Europe/Berlin", utc(2026, 12, 2, 7, 0)),  # 07:00: 08:00 today
        (utc(2026, 12, 4, 19, 0), "Europe/Berlin", utc(2026, 12, 7, 7, 0)),  # Fri 20:00: Monday
        (utc(2026, 12, 5, 12, 0), "Europe/London", utc(2026, 12, 7, 8, 0)),  # Saturday: Monday
        (utc(2026, 12, 2, 3, 0), "Asia/Kolkata", utc(2026, 12, 2, 3, 0)),  # 08:30 IST: now
        (utc(2026, 12, 2, 2, 0), "Asia/Kolkata", utc(2026, 12, 2, 2, 30)),  # 07:30 IST
        (utc(2026, 12, 5, 3, 0), "America/New_York", utc(2026, 12, 7, 13, 0)),  # Fri 22:00 NY
        (utc(2026, 12, 2, 7, 59), None, utc(2026, 12, 2, 8, 0)),  # no tz: UTC
        (utc(2026, 12, 2, 7, 59), "Mars/Olympus", utc(2026, 12, 2, 8, 0)),  # unknown tz: UTC
        (utc(2027, 3, 27, 23, 0), "Europe/Berlin", utc(2027, 3, 29, 6, 0)),  # across DST start
    ],
)
def test_next_allowed(moment, tz, expected):
    assert next_allowed(moment, tz) == expected
    assert allowed(next_allowed(moment, tz), tz)


def test_twenty_oclock_is_already_quiet_and_eight_is_not():
    assert not allowed(utc(2026, 12, 2, 19, 0), "Europe/Berlin")  # 20:00 Berlin
    assert allowed(utc(2026, 12, 2, 7, 0), "Europe/Berlin")  # 08:00 Berlin
