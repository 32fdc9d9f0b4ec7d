"""conversations.* against the fake through a real slack_sdk WebClient."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slacksim import BOT_USER_ID, FakeSlack
from bot.slacksim.model import Message
from bot.slacksim.seed import (
    DEPLOYBOT,
    GENERAL,
    HR_PRIVATE,
    JO,
    LEADS,
    LEE,
    MARIA,
    OLD_RUNBOOKS,
    OPS_MANAGERS,
    SAM,
    SUPPORT,
)


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response["error"]


def test_open_is_idempotent_per_user_set(client: WebClient) -> None:
    first = client.conversations_open(users=MARIA)
    again = client.conversations_open(users=MARIA)

    assert first["channel"]["id"].startswith("D")
    assert again["channel"]["id"] == first["channel"]["id"]
    assert again["already_open"] is True and "already_open" not in first.data
    group = client.conversations_open(users=f"{MARIA},{JO}")
    assert group["channel"]["id"] != first["channel"]["id"]
    reordered = client.conversations_open(users=f"{JO},{MARIA}")
    assert reordered["channel"]["id"] == group["channel"]["id"]


def test_open_return_im_gives_the_im_object(client: WebClient) -> None:
    channel = client.conversations_open(users=[SAM], return_im=True)["channel"]
    assert channel["is_im"] is True and channel["user"] == SAM


@pytest.mark.parametrize(
    ("users", "error"),
    [("U0NOBODY00", "user_not_found"), (LEE, "user_disabled"), (DEPLOYBOT, "cannot_dm_bot")],
)
def test_open_refusals(client: WebClient, users: str, error: str) -> None:
    assert error_of(lambda: client.conversations_open(users=users)) == error


def test_open_without_users(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("conversations.open")) == "users_list_not_supplied"


def test_members_pages_with_cursors(fake: FakeSlack, client: WebClient) -> None:
    crowd = fake.ws.add_channel(name="all-hands", members=[BOT_USER_ID])
    for i in range(449):
        crowd.members.append(fake.ws.add_user(name=f"person{i}").id)

    # slack_sdk reuses one response object while paging, so keep each page's data.
    pages = [page.data for page in client.conversations_members(channel=crowd.id, limit=200)]

    assert [len(page["members"]) for page in pages] == [200, 200, 50]
    assert pages[-1]["response_metadata"]["next_cursor"] == ""
    everyone = [m for page in pages for m in page["members"]]
    assert everyone == crowd.members


def test_members_of_invisible_channel(client: WebClient) -> None:
    assert error_of(lambda: client.conversations_members(channel=HR_PRIVATE)) == "channel_not_found"


def test_bad_cursor(client: WebClient) -> None:
    assert (
        error_of(lambda: client.conversations_members(channel=SUPPORT, cursor="bm9wZTpub3Bl"))
        == "invalid_cursor"
    )


def test_list_filters_by_type_and_archive(client: WebClient) -> None:
    public = {c["name"] for c in client.conversations_list()["channels"]}
    assert {
        "general",
        "support",
        "ops",
        "ops-managers",
        "random",
        "old-runbooks",
        "acme-shared",
        "contractors",
    } == public

    current = {c["name"] for c in client.conversations_list(exclude_archived=True)["channels"]}
    assert "old-runbooks" not in current

    private = client.conversations_list(types="private_channel")["channels"]
    assert [c["id"] for c in private] == [LEADS]  # not hr-private: the bot is not in it
    assert private[0]["is_private"] is True


def test_list_pages(client: WebClient) -> None:
    pages = [page.data for page in client.conversations_list(limit=4)]
    assert [len(p["channels"]) for p in pages] == [4, 4]


def test_info_shapes(client: WebClient) -> None:
    channel = client.conversations_info(channel=SUPPORT, include_num_members=True)["channel"]
    assert channel["name"] == "support" and channel["is_channel"] is True
    assert channel["is_member"] is True and channel["num_members"] == 5
    assert client.conversations_info(channel=OLD_RUNBOOKS)["channel"]["is_archived"] is True
    assert client.conversations_info(channel=OPS_MANAGERS)["channel"]["is_member"] is False


def test_history_is_newest_first_and_hides_metadata_by_default(client: WebClient) -> None:
    meta = {"event_type": "sop_reminder", "event_payload": {"assignment": 3}}
    first = client.chat_postMessage(channel=SUPPORT, text="one", metadata=meta)["ts"]
    client.chat_postMessage(channel=SUPPORT, text="reply", thread_ts=first)
    client.chat_postMessage(channel=SUPPORT, text="two")

    plain = client.conversations_history(channel=SUPPORT)["messages"]
    assert [m["text"] for m in plain] == ["two", "one"]
    assert all("metadata" not in m for m in plain)

    with_meta = client.conversations_history(channel=SUPPORT, include_all_metadata=True)
    assert with_meta["messages"][1]["metadata"] == meta
    assert with_meta["messages"][1]["reply_count"] == 1


def test_history_window_and_paging(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel=SUPPORT, text=str(i))["ts"] for i in range(5)]

    window = client.conversations_history(channel=SUPPORT, oldest=stamps[1], latest=stamps[4])
    assert [m["text"] for m in window["messages"]] == ["3", "2"]
    inclusive = client.conversations_history(
        channel=SUPPORT, oldest=stamps[1], latest=stamps[4], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["4", "3", "2", "1"]

    pages = [page.data for page in client.conversations_history(channel=SUPPORT, limit=2)]
    assert [[m["text"] for m in p["messages"]] for p in pages] == [["4", "3"], ["2", "1"], ["0"]]
    assert pages[0]["has_more"] is True and pages[-1]["has_more"] is False


def test_history_needs_membership(client: WebClient) -> None:
    client.chat_postMessage(channel=OPS_MANAGERS, text="posted via chat:write.public")
    assert error_of(lambda: client.conversations_history(channel=OPS_MANAGERS)) == "not_in_channel"


def test_history_of_the_bot_dm(fake: FakeSlack, client: WebClient) -> None:
    dm = client.conversations_open(users=MARIA)["channel"]["id"]
    client.chat_postMessage(channel=dm, text="hello")
    assert [m["text"] for m in client.conversations_history(channel=dm)["messages"]] == ["hello"]


def test_replies(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=SUPPORT, text="run started")["ts"]
    fake.ws.add_message(
        Message(ts=fake.ws.next_ts(), channel=SUPPORT, text="done?", user=MARIA, thread_ts=parent)
    )
    client.chat_postMessage(channel=SUPPORT, text="step 2", thread_ts=parent)

    thread = client.conversations_replies(channel=SUPPORT, ts=parent)["messages"]
    assert [m["text"] for m in thread] == ["run started", "done?", "step 2"]
    assert thread[0]["reply_users"] == [MARIA, BOT_USER_ID]
    assert thread[1]["parent_user_id"] == BOT_USER_ID
    assert (
        error_of(lambda: client.conversations_replies(channel=SUPPORT, ts="1700000000.000001"))
        == "thread_not_found"
    )


def test_join(fake: FakeSlack, client: WebClient) -> None:
    client.conversations_join(channel=OPS_MANAGERS)
    assert BOT_USER_ID in fake.ws.channels[OPS_MANAGERS].members
    assert error_of(lambda: client.conversations_join(channel=GENERAL + "X")) == "channel_not_found"
