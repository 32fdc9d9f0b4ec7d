"""The transcript helpers tests read the bot's behaviour through."""

from __future__ import annotations

import threading

import pytest
from slack_sdk import WebClient

from bot.slacksim import FakeSlack
from bot.slacksim.seed import MARIA, SUPPORT


def test_calls_record_decoded_args_and_responses(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(
        channel=SUPPORT, text="hi", metadata={"event_type": "t", "event_payload": {}}
    )

    [call] = fake.calls_to("chat.postMessage")
    assert call.args["channel"] == SUPPORT and call.args["metadata"]["event_type"] == "t"
    assert call.response["ok"] is True and call.ok and call.error is None
    assert call.at > 0


def test_failed_calls_are_recorded_too(fake: FakeSlack, client: WebClient) -> None:
    with pytest.raises(Exception):  # noqa: B017
        client.chat_postMessage(channel="C0NOPE0000", text="x")
    [call] = fake.calls_to("chat.postMessage")
    assert call.error == "channel_not_found"


def test_messages_accept_names_and_ids(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel=SUPPORT, text="hi")
    assert fake.messages("support") == fake.messages("#support") == fake.messages(SUPPORT)
    with pytest.raises(KeyError):
        fake.messages("nowhere")


def test_dms_are_the_bot_im_only(fake: FakeSlack, client: WebClient) -> None:
    assert fake.dms("maria") == []
    client.chat_postMessage(channel=MARIA, text="Your run is waiting")
    parent = fake.dms("maria")[0]["ts"]
    client.chat_postMessage(channel=MARIA, text="in thread", thread_ts=parent)

    assert [m["text"] for m in fake.dms("maria")] == ["Your run is waiting"]
    assert [m["text"] for m in fake.dms(MARIA, include_replies=True)] == [
        "Your run is waiting",
        "in thread",
    ]


def test_wait_for_returns_once_the_bot_has_answered(fake: FakeSlack, client: WebClient) -> None:
    gate = threading.Event()

    def bot_answers_later() -> None:
        gate.wait(5)
        client.chat_postMessage(channel=SUPPORT, text="answer")

    worker = threading.Thread(target=bot_answers_later)
    worker.start()
    gate.set()
    messages = fake.wait_for(lambda: fake.messages("support"), timeout=5)
    worker.join()

    assert messages[0]["text"] == "answer"


def test_wait_for_times_out(fake: FakeSlack) -> None:
    with pytest.raises(TimeoutError, match="reply from the bot"):
        fake.wait_for(lambda: fake.messages("support"), timeout=0.1, what="reply from the bot")
