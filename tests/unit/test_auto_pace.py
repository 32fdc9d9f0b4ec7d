"""OUTBOX_PER_MINUTE=auto on a simulated clock: how close the learned pace gets to a hidden limit.

The dispatcher's own speed on a busy machine is measured by bench/fanout.py; this checks the
pace rules alone (bot/jobs/ratelimit.py), with every call answered after a fixed latency by a
Slack that enforces a limit it does not announce, as bot/slacksim/faults.py does.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs import ratelimit as pace

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@dataclass
class SharedRow:
    """The fields of the shared `rate_limits` row that the pace rules read and write."""

    next_free: datetime = T0
    per_minute: float | None = None
    window_start: datetime | None = None
    window_sent: int | None = 0
    settled_at: datetime | None = None
    blocked_until: datetime | None = None


@dataclass
class HiddenLimit:
    """Slack's unannounced workspace limit: a bucket of three seconds' worth of calls."""

    per_minute: float
    tokens: float = 0.0
    at: float = 0.0

    def __post_init__(self) -> None:
        self.capacity = max(1, int(self.per_minute / 20))
        self.tokens = float(self.capacity)

    def call(self, t: float) -> int | None:
        """None if the call goes through, else the Retry-After Slack answers with."""
        rate = self.per_minute / 60
        self.tokens, self.at = min(self.capacity, self.tokens + (t - self.at) * rate), t
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / rate))


def fan_out(limit: float, *, seconds: float = 1200, latency: float = 0.2) -> tuple[float, float]:
    """(share of the hidden limit delivered, share of calls answered 429) for an endless queue."""
    row, slack = SharedRow(), HiddenLimit(limit)
    start = pace.Rate.per_minute("chat.postMessage", pace.AUTO_START, burst=3, adaptive=True)
    answers: list[tuple[float, int]] = []  # (when the answer arrives, Retry-After or 0: ok)
    t, sent, refused = 0.0, 0, 0
    while t < seconds:
        now = T0 + timedelta(seconds=t)
        while answers and answers[0][0] <= t:
            arrived, retry_after = heapq.heappop(answers)
            if retry_after:  # what ratelimit.block does with a 429
                at = T0 + timedelta(seconds=arrived)
                if row.blocked_until is None or row.blocked_until < at:
                    pace.slow_down(row, at)
                until = at + timedelta(seconds=retry_after)
                row.blocked_until = max(row.blocked_until or until, until)
        rate = pace.learned(row, start)
        send_at = max(pace.earliest(row.next_free, now, rate), row.blocked_until or now)
        if answers and answers[0][0] < (send_at - T0).total_seconds():
            t = answers[0][0]  # an answer (maybe a 429) comes before the next slot
            continue
        t = (send_at - T0).total_seconds()
        pace.count_send(row, send_at)
        row.next_free = pace.advance(row.next_free, send_at, rate)
        retry_after = slack.call(t)
        sent, refused = sent + (retry_after is None), refused + (retry_after is not None)
        heapq.heappush(answers, (t + latency, retry_after or 0))
    return sent / (limit * seconds / 60), refused / (sent + refused)


# The hidden limits (300 and 1,200 a minute) and a generous one. (Far below the starting
# pace, e.g. 60 a minute, 429s reach ~7%: each burst after a Retry-After hold overflows.)
@pytest.mark.parametrize("limit", [300, 1200, 3000])
def test_the_learned_pace_delivers_over_95_percent_of_a_hidden_limit_with_few_429s(limit: float):
    delivered, refused = fan_out(limit)
    assert delivered >= 0.95, f"{delivered:.1%} of a hidden {limit}/min"
    assert refused <= 0.02, f"{refused:.2%} of calls answered 429"
