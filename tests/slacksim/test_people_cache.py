"""The cache of Slack look-ups behind permissions: shared for a minute, bounded, never stale."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.slack.people import TTL_SECONDS, PeopleCache, SlackPeople
from bot.slacksim import FakeSlack
from bot.slacksim.clock import ManualClock
from bot.slacksim.seed import MARIA, SAM

# A monotonic clock: small numbers keep float arithmetic exact enough for a token bucket.
START = datetime.fromtimestamp(100, UTC)


def lookups(fake: FakeSlack) -> int:
    return len(fake.calls_to("users.info"))


def test_the_cache_keeps_at_most_max_entries(fake: FakeSlack):
    cache = PeopleCache(max_entries=10, clock=ManualClock(START).time)
    ids = [fake.ws.add_user(name=f"person{n}").id for n in range(25)]
    slack = SlackPeople(fake.client(), cache=cache)
    for user_id in ids:
        assert slack.active_user(user_id) == user_id
        assert len(cache.kept()) <= 10
    before = lookups(fake)
    assert slack.active_user(ids[-1]) == ids[-1]  # the newest are kept
    assert lookups(fake) == before
    assert slack.active_user(ids[0]) == ids[0]  # the oldest went: Slack is asked again
    assert lookups(fake) == before + 1


def test_expired_answers_are_removed_not_only_ignored(fake: FakeSlack):
    ticks = ManualClock(START)
    cache = PeopleCache(clock=ticks.time)
    slack = SlackPeople(fake.client(), cache=cache)
    slack.active_user(MARIA)
    slack.is_workspace_admin(SAM)
    assert len(cache.kept()) == 2
    ticks.advance(TTL_SECONDS)
    slack.active_user(MARIA)  # asked again; Sam's old answer goes with Maria's
    assert lookups(fake) == 3
    assert [key[-1] for key in cache.kept()] == [MARIA]
