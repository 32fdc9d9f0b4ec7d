"""Block Kit limits the fake enforces, seen through chat.postMessage as the bot would see them."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slacksim.blocks import message_block_problems, view_problems
from bot.slacksim.seed import SUPPORT


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(text: str, action_id: str, value: str = "v") -> dict:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def refusal(client: WebClient, blocks: list) -> dict:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=SUPPORT, text="fallback", blocks=blocks)
    return caught.value.response.data


def test_fifty_blocks_pass_fifty_one_fail(client: WebClient) -> None:
    assert client.chat_postMessage(channel=SUPPORT, text="x", blocks=[section("b")] * 50)["ok"]

    body = refusal(client, [section("b")] * 51)
    assert body["error"] == "invalid_blocks"
    assert body["response_metadata"]["messages"] == [
        "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"
    ]


def test_section_text_over_3000(client: WebClient) -> None:
    assert client.chat_postMessage(channel=SUPPORT, text="x", blocks=[section("a" * 3000)])["ok"]

    body = refusal(client, [section("ok"), section("a" * 3001)])
    assert body["error"] == "invalid_blocks"
    assert body["errors"] == [
        "must be less than 3001 characters [json-pointer:/blocks/1/text/text]"
    ]


def test_duplicate_block_id(client: WebClient) -> None:
    body = refusal(client, [section("a", block_id="step"), section("b", block_id="step")])
    assert body["error"] == "invalid_blocks"
    assert "/blocks/1/block_id" in body["response_metadata"]["messages"][0]


def test_duplicate_action_id_in_one_block(client: WebClient) -> None:
    actions = {"type": "actions", "elements": [button("A", "go"), button("B", "go")]}
    assert "action_id must be unique" in refusal(client, [actions])["errors"][0]


def test_same_action_id_in_different_blocks_is_fine(client: WebClient) -> None:
    blocks = [
        {"type": "actions", "elements": [button("Start", "sop.start", "refund")]},
        {"type": "actions", "elements": [button("Start", "sop.start", "onboarding")]},
    ]
    assert client.chat_postMessage(channel=SUPPORT, text="x", blocks=blocks)["ok"]


def test_msg_blocks_too_long(client: WebClient) -> None:
    blocks = [section("a" * 2500) for _ in range(5)]
    assert refusal(client, blocks)["error"] == "msg_blocks_too_long"


def test_invalid_blocks_format(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.api_call(
            "chat.postMessage", params={"channel": SUPPORT, "text": "x", "blocks": "[{oops"}
        )
    assert caught.value.response["error"] == "invalid_blocks_format"


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        ({"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}, "/blocks/0/text"),
        ({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}, "/blocks/0/text/type"),
        ({"type": "actions", "elements": [button("b" * 76, "x")]}, "/elements/0/text/text"),
        ({"type": "actions", "elements": [button("b", "a" * 256)]}, "/elements/0/action_id"),
        ({"type": "actions", "elements": [button("b", "x", "v" * 2001)]}, "/elements/0/value"),
        ({**section("s"), "block_id": "b" * 256}, "/blocks/0/block_id"),
        ({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}, "/fields"),
        ({"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}, "/fields/0"),
        ({"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}, "/elements"),
        ({"type": "actions", "elements": [button("b", f"a{i}") for i in range(26)]}, "/elements"),
        ({"type": "section", "text": "plain string"}, "/blocks/0/text"),
        ({"type": "section", "text": {"type": "mrkdwn", "text": ""}}, "/blocks/0/text/text"),
        ({"type": "carousel"}, "/blocks/0/type"),
    ],
)
def test_field_limits(block: dict, pointer: str) -> None:
    problems = message_block_problems([block])
    assert problems, block
    assert pointer in problems[0]


def test_select_and_overflow_option_limits() -> None:
    option = {"text": {"type": "plain_text", "text": "o"}, "value": "v"}
    select = {"type": "static_select", "action_id": "s", "options": [option] * 101}
    overflow = {"type": "overflow", "action_id": "o", "options": [option] * 6}
    long_option = {**option, "value": "v" * 151}
    assert message_block_problems([{"type": "actions", "elements": [select]}])
    assert message_block_problems([{"type": "actions", "elements": [overflow]}])
    assert message_block_problems(
        [{"type": "actions", "elements": [{**select, "options": [long_option]}]}]
    )


def modal(**extra) -> dict:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Feedback"},
        "blocks": [section("hi")],
        **extra,
    }


@pytest.mark.parametrize(
    ("view", "needle"),
    [
        (modal(title={"type": "plain_text", "text": "t" * 25}), "/view/title/text"),
        (modal(submit={"type": "plain_text", "text": "s" * 25}), "/view/submit/text"),
        (modal(close={"type": "plain_text", "text": "c" * 25}), "/view/close/text"),
        (modal(private_metadata="m" * 3001), "/view/private_metadata"),
        (modal(blocks=[section("b")] * 101), "no more than 100 items"),
        (
            modal(
                blocks=[
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "Why?"},
                        "element": {"type": "plain_text_input", "action_id": "why"},
                    }
                ]
            ),
            "must define `submit`",
        ),
        ({"type": "home", "blocks": [section("h")] * 101}, "no more than 100 items"),
    ],
)
def test_view_limits(view: dict, needle: str) -> None:
    problems = view_problems(view)
    assert any(needle in p for p in problems), problems


def test_a_valid_modal_has_no_problems() -> None:
    assert view_problems(modal(blocks=[section("b")] * 100)) == []
