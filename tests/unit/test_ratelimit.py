"""The pure parts of delivery: budget arithmetic, backoff and which errors are worth a retry."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs.ratelimit import Rate, advance, backoff, earliest, is_transient

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def slots(rate: Rate, calls: int, *, now: datetime = T0, next_free: datetime = T0) -> list[float]:
    """Send times (seconds after T0) of `calls` calls all asking at `now`."""
    times = []
    for _ in range(calls):
        send_at = earliest(next_free, now, rate)
        next_free = advance(next_free, send_at, rate)
        times.append((send_at - T0).total_seconds())
    return times


def test_calls_are_spaced_by_the_interval():
    assert slots(Rate.per_minute("chat.postMessage", 50), 3) == pytest.approx([0, 1.2, 2.4])


def test_a_burst_goes_out_at_once_then_the_rate_holds():
    assert slots(Rate("b", 1.0, burst=3), 5) == pytest.approx([0, 0, 0, 1, 2])


def test_an_idle_budget_does_not_bank_more_than_its_burst():
    long_ago = T0 - timedelta(hours=1)
    assert slots(Rate("b", 1.0, burst=2), 4, next_free=long_ago) == pytest.approx([0, 0, 1, 2])


def test_a_budget_in_use_makes_the_next_caller_wait():
    busy_until = T0 + seconds(10)
    assert earliest(busy_until, T0, Rate("b", 1.0)) == busy_until


def test_backoff_grows_exponentially_within_jitter_and_a_cap():
    rng = random.Random(3)
    waits = [backoff(n, base=2.0, cap=60.0, rng=rng) for n in range(1, 9)]
    ceilings = [2, 4, 8, 16, 32, 60, 60, 60]
    assert all(c / 2 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert len(set(waits)) == len(waits)  # jittered: a fan-out does not retry in lockstep


@pytest.mark.parametrize(
    ("error", "status", "attempt", "retry"),
    [
        ("ratelimited", 429, 1, True),
        ("internal_error", 500, 1, True),
        ("fatal_error", 200, 5, True),
        ("service_unavailable", 503, 1, True),
        ("http_502", 502, 1, True),
        ("channel_not_found", 200, 1, True),  # Slack may not know a brand-new DM yet
        ("channel_not_found", 200, 2, False),
        ("is_archived", 200, 1, False),
        ("account_inactive", 200, 1, False),
        ("invalid_blocks", 200, 1, False),
        ("cannot_dm_bot", 200, 1, False),
        ("user_disabled", 200, 1, False),
    ],
)
def test_which_errors_are_retried(error, status, attempt, retry):
    assert is_transient(error, status=status, attempt=attempt) is retry
