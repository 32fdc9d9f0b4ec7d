"""chat.* against the fake through a real slack_sdk WebClient."""

from __future__ import annotations

import json
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slacksim import BOT_ID, BOT_USER_ID, FakeSlack
from bot.slacksim.seed import (
    DM_MARIA_SAM,
    HR_PRIVATE,
    LEADS,
    LEE,
    MARIA,
    OLD_RUNBOOKS,
    OPS_MANAGERS,
    RANDOM,
    SUPPORT,
)

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Refund* SOP"}}


def error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def test_post_message_returns_slack_shape(client: WebClient) -> None:
    response = client.chat_postMessage(channel=SUPPORT, text="Refund SOP", blocks=[SECTION])

    assert response["ok"] is True
    assert response["channel"] == SUPPORT
    message = response["message"]
    assert message["ts"] == response["ts"]
    assert message["user"] == BOT_USER_ID
    assert message["bot_id"] == BOT_ID
    assert message["type"] == "message"
    assert message["text"] == "Refund SOP"
    assert message["bot_profile"]["id"] == BOT_ID
    # Slack invents a block_id for blocks sent without one.
    assert message["blocks"][0]["block_id"]


def test_form_encoded_blocks_are_accepted(fake: FakeSlack, client: WebClient) -> None:
    """slack_sdk sends form bodies through api_call; blocks then arrive as a JSON string."""
    params = {"channel": SUPPORT, "text": "x", "blocks": json.dumps([SECTION])}
    client.api_call("chat.postMessage", params=params)

    [call] = fake.calls_to("chat.postMessage")
    assert call.args["blocks"] == [SECTION]
    assert fake.messages("support")[-1]["blocks"][0]["text"]["text"] == "*Refund* SOP"


def test_channel_names_work_for_posting(client: WebClient) -> None:
    assert client.chat_postMessage(channel="#support", text="x")["channel"] == SUPPORT


def test_ts_values_are_unique_and_increasing(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel=SUPPORT, text=str(i))["ts"] for i in range(20)]

    assert len(set(stamps)) == 20
    assert stamps == sorted(stamps, key=float)
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)


def test_thread_replies_update_the_parent(fake: FakeSlack, client: WebClient) -> None:
    parent = client.chat_postMessage(channel=SUPPORT, text="parent")["ts"]
    reply = client.chat_postMessage(channel=SUPPORT, text="reply", thread_ts=parent)

    assert reply["message"]["thread_ts"] == parent
    [head, answer] = fake.thread("support", parent)
    assert head["reply_count"] == 1 and head["latest_reply"] == reply["ts"]
    assert answer["text"] == "reply"
    assert [m["text"] for m in fake.messages("support")] == ["parent"]


def test_malformed_thread_ts_is_refused(client: WebClient) -> None:
    exc = error_of(lambda: client.chat_postMessage(channel=SUPPORT, text="x", thread_ts="0"))
    assert exc.response["error"] == "invalid_thread_ts"


def test_posting_to_a_user_id_lands_in_the_app_dm(fake: FakeSlack, client: WebClient) -> None:
    response = client.chat_postMessage(channel=MARIA, text="Your training is due")

    assert response["channel"].startswith("D")
    assert [m["text"] for m in fake.dms("maria")] == ["Your training is due"]


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C0NOPE0000", "channel_not_found"),
        (HR_PRIVATE, "channel_not_found"),  # private, the bot is not in it
        (DM_MARIA_SAM, "channel_not_found"),  # someone else's DM
        (OLD_RUNBOOKS, "is_archived"),
        (LEE, "is_archived"),  # a deactivated person's DM
    ],
)
def test_post_message_refusals(client: WebClient, channel: str, error: str) -> None:
    exc = error_of(lambda: client.chat_postMessage(channel=channel, text="x"))
    assert exc.response["error"] == error


def test_missing_channel_is_channel_not_found(client: WebClient) -> None:
    exc = error_of(lambda: client.api_call("chat.postMessage", params={"text": "x"}))
    assert exc.response["error"] == "channel_not_found"


MISSING_TEXT_WARNING = "ignore:The top-level `text` argument is missing:UserWarning"


@pytest.mark.filterwarnings(MISSING_TEXT_WARNING)
def test_no_text_nor_blocks_is_no_text(client: WebClient) -> None:
    exc = error_of(lambda: client.chat_postMessage(channel=SUPPORT))
    assert exc.response["error"] == "no_text"


def test_public_channel_without_membership_needs_chat_write_public(fake, client) -> None:
    assert client.chat_postMessage(channel=OPS_MANAGERS, text="digest")["ok"]

    fake.ws.public_write = False
    exc = error_of(lambda: client.chat_postMessage(channel=RANDOM, text="x"))
    assert exc.response["error"] == "not_in_channel"


def test_private_channel_with_the_bot_works(client: WebClient) -> None:
    assert client.chat_postMessage(channel=LEADS, text="for leads")["ok"]


@pytest.mark.filterwarnings(MISSING_TEXT_WARNING)
def test_blocks_without_text_are_accepted(client: WebClient) -> None:
    assert client.chat_postMessage(channel=SUPPORT, blocks=[SECTION])["ok"]


def test_update_keeps_blocks_unless_given_and_marks_edited(fake, client) -> None:
    ts = client.chat_postMessage(channel=SUPPORT, text="step 1", blocks=[SECTION])["ts"]

    response = client.chat_update(channel=SUPPORT, ts=ts, text="step 2")

    assert response["ts"] == ts and response["text"] == "step 2"
    [stored] = fake.messages("support")
    assert stored["text"] == "step 2"
    assert stored["blocks"][0]["text"]["text"] == "*Refund* SOP"
    assert stored["edited"]["user"] == BOT_USER_ID
    client.chat_update(channel=SUPPORT, ts=ts, text="no blocks", blocks=[])
    assert "blocks" not in fake.messages("support")[0]


def test_update_errors(fake: FakeSlack, client: WebClient) -> None:
    exc = error_of(lambda: client.chat_update(channel=SUPPORT, ts="1700000000.000001", text="x"))
    assert exc.response["error"] == "message_not_found"

    people_say = fake.ws.add_message  # a message a person wrote
    from bot.slacksim.model import Message

    people_say(Message(ts="1700000001.000100", channel=SUPPORT, text="hi", user=MARIA))
    exc = error_of(lambda: client.chat_update(channel=SUPPORT, ts="1700000001.000100", text="x"))
    assert exc.response["error"] == "cant_update_message"


def test_delete_removes_the_message(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel=SUPPORT, text="oops")["ts"]

    assert client.chat_delete(channel=SUPPORT, ts=ts)["ts"] == ts
    assert fake.messages("support") == []


def test_post_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    response = client.chat_postEphemeral(channel=SUPPORT, user=MARIA, text="only you")

    [shown] = fake.ephemerals("maria")
    assert shown["ts"] == response["message_ts"]
    assert shown["text"] == "only you" and shown["channel"] == SUPPORT
    assert fake.messages("support") == []


def test_post_ephemeral_to_someone_outside_the_channel(client: WebClient) -> None:
    exc = error_of(lambda: client.chat_postEphemeral(channel=LEADS, user=MARIA, text="x"))
    assert exc.response["error"] == "user_not_in_channel"


def test_metadata_is_stored_and_returned(client: WebClient) -> None:
    metadata = {"event_type": "sop_run_step", "event_payload": {"run_id": 7}}
    response = client.chat_postMessage(channel=SUPPORT, text="x", metadata=metadata)
    assert response["message"]["metadata"] == metadata

    exc = error_of(
        lambda: client.chat_postMessage(channel=SUPPORT, text="x", metadata={"event_type": "a"})
    )
    assert exc.response["error"] == "invalid_metadata_schema"


def test_get_permalink(client: WebClient) -> None:
    ts = client.chat_postMessage(channel=SUPPORT, text="x")["ts"]
    link = client.chat_getPermalink(channel=SUPPORT, message_ts=ts)["permalink"]
    assert link.endswith(f"/archives/{SUPPORT}/p{ts.replace('.', '')}")


def test_token_is_required(fake: FakeSlack) -> None:
    anonymous = WebClient(base_url=fake.api_url)
    exc = error_of(lambda: anonymous.chat_postMessage(channel=SUPPORT, text="x"))
    assert exc.response["error"] == "not_authed"

    bad = WebClient(token="xoxb-wrong", base_url=fake.api_url)
    exc = error_of(lambda: bad.auth_test())
    assert exc.response["error"] == "invalid_auth"


def test_token_in_a_json_body_does_not_count(fake: FakeSlack) -> None:
    """Slack reads the token from form bodies, but JSON bodies need the Authorization header."""
    request = urllib.request.Request(
        fake.api_url + "chat.postMessage",
        data=json.dumps({"token": fake.token, "channel": SUPPORT, "text": "x"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["error"] == "not_authed"

    form = f"token={fake.token}&channel={SUPPORT}&text=x".encode()
    with urllib.request.urlopen(fake.api_url + "chat.postMessage", data=form) as response:
        assert json.load(response)["ok"] is True


def test_unknown_method(client: WebClient) -> None:
    exc = error_of(lambda: client.api_call("chat.teleport"))
    assert exc.response["error"] == "unknown_method"
