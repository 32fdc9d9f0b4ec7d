"""What the end-to-end tests read and press in a conversation with the bot, and its outbox."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from bot.jobs.dispatcher import Dispatcher
from bot.playground.render import message_body
from bot.slack.ids import Action
from bot.slacksim.seed import SUPPORT
from tests.e2e.delivery_fixtures import FAST

if TYPE_CHECKING:
    from tests.e2e.conftest import Bot

DELIVERY_ROUNDS = 100
# Where the rendered page starts a new line: blocks, paragraphs, quotes, buttons, options.
_LINE_TAGS = frozenset(
    {"div", "p", "br", "hr", "li", "blockquote", "pre", "figure", "button", "label", "option"}
)


def buttons(message: dict) -> dict[str, str]:
    """action_id -> value of every button in a message."""
    return {
        element["action_id"]: element.get("value", "")
        for block in message.get("blocks") or []
        for element in (block.get("elements") or []) + [block.get("accessory") or {}]
        if element.get("type") == "button"
    }


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _LINE_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(message: dict) -> str:
    """What a person reads in a message, modal or Home tab, as the playground renders it:
    formatting applied, entities decoded, no IDs, button values or block IDs."""
    parser = _Text()
    parser.feed(message_body(message))
    lines = "".join(parser.parts).splitlines()
    return "\n".join(" ".join(line.split()) for line in lines if line.strip())


def sent_json(message: dict) -> str:
    """A message as Slack received it, IDs and button values included: for checks about those."""
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


def deliver(bot: Bot) -> int:
    """Send every due outbox row now, as the worker would; returns how many were handled."""
    dispatcher = Dispatcher(
        database=bot.runtime.database,
        client=bot.fake.client(retry_handlers=[], timeout=1),
        clock=bot.clock,
        limits=FAST,
        # Budget waits move the test clock instead of sleeping.
        sleep=lambda seconds: bot.clock.advance(seconds=seconds),
    )
    total = 0
    for _ in range(DELIVERY_ROUNDS):
        handled = dispatcher.run_once()
        if not handled:
            return total
        total += handled
    raise AssertionError("the outbox never settled")


def run_thread(bot: Bot, channel: str = SUPPORT) -> tuple[dict, list[dict]]:
    """The newest run's parent message in `channel`, and the replies in its thread."""
    parent = bot.fake.wait_for(lambda: bot.fake.messages(channel), what="a run parent")[-1]
    return parent, bot.fake.thread(channel, parent["ts"])[1:]


def step_with_buttons(bot: Bot, channel: str, parent_ts: str, count: int) -> dict:
    """Wait until the thread has `count` replies; return the newest one with a Done button."""
    replies = bot.fake.wait_for(
        lambda: (r := bot.fake.thread(channel, parent_ts)[1:]) and len(r) >= count and r,
        what=f"{count} replies",
    )
    return next(r for r in reversed(replies) if Action.STEP_DONE in buttons(r))
