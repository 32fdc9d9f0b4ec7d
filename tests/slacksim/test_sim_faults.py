"""Failure injection: scripted failures, chaos, dropped connections and rate limits."""

from __future__ import annotations

import contextlib
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.slacksim import FakeSlack, ManualClock
from bot.slacksim.seed import GENERAL, MARIA, SUPPORT


def test_scripted_429_reaches_slack_sdk_with_retry_after(fake: FakeSlack, client) -> None:
    fake.fail("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=SUPPORT, text="x")

    response = caught.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response["error"] == "ratelimited"
    assert client.chat_postMessage(channel=SUPPORT, text="x")["ok"]  # only once
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    assert fake.messages("support")[0]["text"] == "x" and len(fake.messages("support")) == 1


def test_failures_for_several_calls_and_plain_errors(fake: FakeSlack, client) -> None:
    fake.fail("users.info", "internal_error", times=2)
    fake.fail("conversations.open", "channel_not_found")

    for _ in range(2):
        with pytest.raises(SlackApiError) as caught:
            client.users_info(user=MARIA)
        assert caught.value.response.status_code == 500
    with pytest.raises(SlackApiError) as caught:
        client.conversations_open(users=MARIA)
    assert caught.value.response.status_code == 200
    assert caught.value.response["error"] == "channel_not_found"
    assert client.users_info(user=MARIA)["ok"]


def test_rate_limit_retry_handler_retries(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", retry_after=0)
    client = fake.client(retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])

    assert client.chat_postMessage(channel=SUPPORT, text="x")["ok"]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


def test_a_lost_reply_makes_the_default_retry_post_twice(fake: FakeSlack, client) -> None:
    """chat.postMessage has no idempotency key: slack_sdk's connection retry duplicates it."""
    fake.fail("chat.postMessage", drop_connection=True, land=True)

    client.chat_postMessage(channel=SUPPORT, text="Reminder: refund training")

    assert [m["text"] for m in fake.messages("support")] == ["Reminder: refund training"] * 2
    assert [c.dropped for c in fake.calls_to("chat.postMessage")] == [True, False]


def test_a_dropped_call_that_did_not_land(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", drop_connection=True, times=2)
    quick_retry = FixedValueRetryIntervalCalculator(fixed_internal=0)
    client = fake.client(
        retry_handlers=[ConnectionErrorRetryHandler(interval_calculator=quick_retry)]
    )

    with pytest.raises(Exception):  # noqa: B017 - urllib's connection error type varies
        client.chat_postMessage(channel=SUPPORT, text="x")
    assert fake.messages("support") == []


def chaos_outcomes(seed: int) -> list[str]:
    with FakeSlack() as fake:
        fake.chaos(["chat.postMessage"], rate=0.5, errors=["ratelimited", "fatal_error"], seed=seed)
        client = fake.client()
        for i in range(30):
            with contextlib.suppress(SlackApiError):
                client.chat_postMessage(channel=SUPPORT, text=str(i))
            client.users_info(user=MARIA)  # not a chaos target: always fine
        return [c.error or "ok" for c in fake.calls_to("chat.postMessage")]


def test_chaos_is_seeded_and_partial() -> None:
    first = chaos_outcomes(seed=3)

    assert first == chaos_outcomes(seed=3)
    assert first != chaos_outcomes(seed=4)
    assert {"ok", "ratelimited", "fatal_error"} == set(first)


def test_calm_stops_chaos(fake: FakeSlack, client: WebClient) -> None:
    fake.chaos("*", rate=1.0)
    with pytest.raises(SlackApiError):
        client.auth_test()
    fake.calm()
    assert client.auth_test()["ok"]


def test_post_message_limit_is_per_channel(slow_fake: FakeSlack, clock: ManualClock) -> None:
    slow_fake.enforce_rate_limits(chat_postMessage_per_channel_per_sec=1)
    client = slow_fake.client()

    client.chat_postMessage(channel=SUPPORT, text="1")
    client.chat_postMessage(channel=GENERAL, text="other channel")
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=SUPPORT, text="2")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "1"

    clock.advance(1.0)
    assert client.chat_postMessage(channel=SUPPORT, text="2")["ok"]


def test_tier_limits_per_method(slow_fake: FakeSlack, clock: ManualClock) -> None:
    slow_fake.enforce_rate_limits(per_minute={"users.info": 2})
    client = slow_fake.client()

    client.users_info(user=MARIA)
    client.users_info(user=MARIA)
    with pytest.raises(SlackApiError) as caught:
        client.users_info(user=MARIA)
    assert caught.value.response.headers["Retry-After"] == "30"
    clock.advance(30)
    assert client.users_info(user=MARIA)["ok"]


def test_rate_limits_are_off_by_default(fake: FakeSlack, client: WebClient) -> None:
    for i in range(10):
        client.chat_postMessage(channel=SUPPORT, text=str(i))
    assert len(fake.messages("support")) == 10


def test_a_hidden_workspace_limit_on_posts_spans_channels(
    slow_fake: FakeSlack, clock: ManualClock
) -> None:
    # 120 a minute: a bucket of six (three seconds' worth), two more each second.
    slow_fake.enforce_rate_limits(chat_postMessage_per_minute=120, tiers=False)
    client = slow_fake.client()
    people = [slow_fake.ws.add_user(name=f"p{i}").id for i in range(8)]

    for person in people[:6]:
        client.chat_postMessage(channel=person, text="hi")  # six channels, one post each
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=people[6], text="hi")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "1"
    clock.advance(1)
    client.chat_postMessage(channel=people[6], text="hi")
    client.chat_postMessage(channel=people[7], text="hi")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel=GENERAL, text="hi")


def test_latency_delays_every_call(fake: FakeSlack, client: WebClient) -> None:
    fake.latency = 0.2
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2
