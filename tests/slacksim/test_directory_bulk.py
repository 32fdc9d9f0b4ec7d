"""Resolving a big channel reads users.list once instead of asking users.info per member."""

from __future__ import annotations

from collections import Counter

from bot.services.audience import Resolver
from bot.slack.people import BULK_AFTER, SlackDirectory
from bot.slacksim.server import FakeSlack


def test_a_big_channel_costs_a_few_users_list_pages_not_a_call_per_member(fake: FakeSlack):
    ws = fake.ws
    members = [ws.add_user(name=f"person{n}", tz="Europe/Berlin").id for n in range(450)]
    gone = ws.add_user(name="leaver", deleted=True).id
    ws.add_channel(name="floor", members=[*members, gone, ws.bot_user_id])
    before = len(fake.calls)

    audience = Resolver(SlackDirectory(fake.client())).resolve(["#floor"])

    assert [p.id for p in audience.people] == sorted(members)  # the leaver and the app skipped
    assert audience.people[0].tz == "Europe/Berlin"
    asked = Counter(call.method for call in fake.calls[before:])
    assert asked["users.info"] == BULK_AFTER
    pages = -(-len(ws.users) // 200)
    assert asked["users.list"] == pages


def test_a_few_named_people_are_asked_one_by_one(fake: FakeSlack):
    ws = fake.ws
    named = [ws.add_user(name=f"named{n}").id for n in range(3)]
    before = len(fake.calls)
    audience = Resolver(SlackDirectory(fake.client())).resolve(named)
    assert [p.id for p in audience.people] == sorted(named)
    asked = Counter(call.method for call in fake.calls[before:])
    assert (asked["users.info"], asked["users.list"]) == (3, 0)
