"""The per-person pace: a token bucket on an injected monotonic clock, with a bounded memory."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.feedback import MAX_LINE
from bot.slack.guard.request_limits import MAX_COMMAND_TEXT, Throttle
from bot.slacksim.clock import ManualClock

# A monotonic clock: small numbers keep float arithmetic exact enough for a token bucket.
START = datetime.fromtimestamp(50, UTC)


def test_a_burst_then_the_rate_and_each_person_has_their_own_bucket():
    ticks = ManualClock(START)
    throttle = Throttle(per_minute=30, burst=5, clock=ticks.time)
    assert [throttle.allow("U1") for _ in range(6)] == [True] * 5 + [False]
    assert throttle.allow("U2")
    ticks.advance(1.9)
    assert not throttle.allow("U1")  # a refusal takes nothing, and one token takes 2 s
    ticks.advance(0.1)
    assert throttle.allow("U1") and not throttle.allow("U1")
    ticks.advance(3600)
    assert [throttle.allow("U1") for _ in range(6)] == [True] * 5 + [False]  # never beyond burst


def test_idle_people_are_forgotten_and_the_map_never_outgrows_its_cap():
    ticks = ManualClock(START)
    throttle = Throttle(per_minute=60, burst=10, max_people=100, clock=ticks.time)
    for n in range(1_000):
        throttle.allow(f"U{n}")
        assert throttle.tracked <= 100
    ticks.advance(10)  # every bucket has refilled: forgetting them changes nothing
    throttle.allow("U-new")
    assert throttle.tracked == 1


def test_forgetting_a_busy_person_at_the_cap_only_ever_lets_them_start_afresh():
    ticks = ManualClock(START)
    throttle = Throttle(per_minute=60, burst=2, max_people=2, clock=ticks.time)
    assert throttle.allow("U1") and throttle.allow("U1") and not throttle.allow("U1")
    throttle.allow("U2")
    assert not throttle.allow("U1")  # still remembered: U2 came after, U1 is the newest
    throttle.allow("U3")  # U2 is the longest unseen and goes
    assert throttle.tracked == 2 and not throttle.allow("U1")


def test_every_command_the_slack_layer_lets_through_fits_the_feedback_parser():
    assert MAX_COMMAND_TEXT <= MAX_LINE
