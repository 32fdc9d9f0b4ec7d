"""auth.test, users.* and usergroups.* against the fake, and the seeded workspace."""

from __future__ import annotations

import threading

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slacksim import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, FakeSlack, default_workspace
from bot.slacksim.seed import (
    ACME_TEAM,
    EVE,
    GINA,
    JO,
    LEADS,
    LEE,
    MANAGERS,
    MARIA,
    SAM,
    SLACKBOT,
    SUPPORT,
    SUPPORT_TEAM,
)


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response["error"]


def test_seed_lookups_by_name() -> None:
    ws = default_workspace()

    assert ws.user_id("maria") == MARIA
    assert ws.user_id("@sam") == SAM
    assert ws.channel_id("support") == SUPPORT
    assert ws.channel_id("#leads") == LEADS and LEADS.startswith("G")
    assert ws.usergroup_id("support-team") == SUPPORT_TEAM
    assert ws.users[SAM].is_admin and ws.users[LEE].deleted
    with pytest.raises(KeyError):
        ws.user_id("nobody")


def test_next_ts_is_unique_across_threads() -> None:
    ws = default_workspace()
    stamps: list[str] = []

    def take() -> None:
        for _ in range(200):
            stamps.append(ws.next_ts())

    workers = [threading.Thread(target=take) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(set(stamps)) == 800


def test_auth_test(client: WebClient) -> None:
    me = client.auth_test()
    assert (me["team_id"], me["user_id"], me["bot_id"]) == (TEAM_ID, BOT_USER_ID, BOT_ID)
    assert me["url"] == "https://sopteam.slack.com/"


def test_users_info_shape(client: WebClient) -> None:
    user = client.users_info(user=JO)["user"]

    assert user["name"] == "jo" and user["real_name"] == "Jo Park"
    assert user["profile"]["email"] == "jo@example.com"
    assert user["tz"] == "America/New_York" and user["tz_offset"] == -18000
    assert user["is_bot"] is False and user["deleted"] is False
    bot = client.users_info(user=BOT_USER_ID)["user"]
    assert bot["is_bot"] is True and bot["profile"]["api_app_id"] == APP_ID
    assert "email" not in bot["profile"]


def test_users_info_unknown(client: WebClient) -> None:
    assert error_of(lambda: client.users_info(user="U0NOBODY00")) == "user_not_found"


def test_users_list_has_bots_slackbot_and_deactivated(client: WebClient) -> None:
    members = {u["id"]: u for u in client.users_list()["members"]}

    assert members[LEE]["deleted"] is True
    assert members[SLACKBOT]["is_bot"] is False  # Slack's own quirk
    assert members[BOT_USER_ID]["is_bot"] is True


def test_users_list_pages(fake: FakeSlack, client: WebClient) -> None:
    total = len(fake.ws.users) - 1  # not Eve, who is from another organisation
    sizes = [len(page["members"]) for page in client.users_list(limit=4)]
    assert sum(sizes) == total and sizes[0] == 4


def test_guests_and_other_organisations_as_slack_shows_them(client: WebClient) -> None:
    gina = client.users_info(user=GINA)["user"]
    assert (gina["is_restricted"], gina["is_ultra_restricted"]) == (True, False)
    assert gina["team_id"] == TEAM_ID
    eve = client.users_info(user=EVE)["user"]
    assert eve["team_id"] == ACME_TEAM and eve["profile"]["team"] == ACME_TEAM
    assert not eve["is_restricted"]  # a full member of her own organisation
    assert EVE not in {u["id"] for u in client.users_list()["members"]}


def test_lookup_by_email(client: WebClient) -> None:
    assert client.users_lookupByEmail(email="JO@example.com")["user"]["id"] == JO
    assert error_of(lambda: client.users_lookupByEmail(email="x@example.com")) == "users_not_found"
    assert (
        error_of(lambda: client.users_lookupByEmail(email="lee@example.com")) == "users_not_found"
    )


def test_usergroups(client: WebClient) -> None:
    groups = client.usergroups_list(include_users=True, include_count=True)["usergroups"]
    by_handle = {g["handle"]: g for g in groups}

    assert by_handle["managers"]["id"] == MANAGERS
    assert by_handle["managers"]["users"] == [SAM, "U01ANA0001"]
    assert by_handle["support-team"]["user_count"] == 3
    assert "users" not in client.usergroups_list()["usergroups"][0]
    assert client.usergroups_users_list(usergroup=SUPPORT_TEAM)["users"] == [
        MARIA,
        "U01PRIYA01",
        JO,
    ]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S0NOPE0000")) == (
        "no_such_subteam"
    )
