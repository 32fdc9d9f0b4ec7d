"""Helpers for the /sop record tests: start a recording, post steps, press its buttons."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.recordings import RecordingStep
from bot.slack.ids import Action
from bot.slacksim.seed import MARIA, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons

TITLE = "Open the shop"
SLUG = "open-the-shop"
STEPS = [
    'Unlock the door\nRole: Opener\nUse the key in the safe.\n&gt; "Good morning!"',
    "Count the till\nRole: Opener\n- [ ] Float is £100\n- [ ] Notes faced up",
    "Switch on the lights",
]


def thread(bot: Bot, parent: dict) -> list[dict]:
    return bot.fake.thread(SUPPORT, parent["ts"])[1:]


def start(bot: Bot, user: str = MARIA, title: str = TITLE) -> dict:
    """`/sop record TITLE` in #support; the thread's parent once its buttons carry the ID."""
    ack = bot.slack.command(user, "/sop", f"record {title}", channel=SUPPORT)
    assert ack.status == 200 and ack.acked_in_time
    return bot.fake.wait_for(
        lambda: next(
            (
                m
                for m in reversed(bot.fake.messages(SUPPORT))
                if buttons(m).get(Action.RECORD_FINISH, "0") != "0"
            ),
            None,
        ),
        what="the recording's parent message",
    )


def post_step(bot: Bot, parent: dict, text: str, user: str = MARIA) -> dict:
    """The recorder posts `text` in the thread; returns the bot's answer."""
    before = len(thread(bot, parent))
    bot.slack.user_message(user, SUPPORT, text, thread_ts=parent["ts"])
    return bot.fake.wait_for(
        lambda: (replies := thread(bot, parent)) and len(replies) >= before + 2 and replies[-1],
        what="the bot's answer",
    )


def steps_stored(bot: Bot) -> list[str]:
    with bot.runtime.database.session() as session:
        return list(session.scalars(select(RecordingStep.text).order_by(RecordingStep.id)))


def record_three(bot: Bot) -> dict:
    parent = start(bot)
    for minutes, text in zip((6, 2, 1), STEPS, strict=True):
        bot.clock.advance(minutes=minutes)
        post_step(bot, parent, text)
    return parent


def press(
    bot: Bot,
    user: str,
    parent: dict,
    action: Action,
    source: dict | None = None,
    *,
    stale: bool = False,
) -> None:
    """`user` presses `action` in `source` (the parent by default); `stale`: as `source` was
    drawn when captured, as a client that has not redrawn since the bot updated it."""
    message = source or parent
    ack = bot.slack.click(user, message, action, as_shown=message if stale else None)
    assert ack.status == 200


def finished_message(bot: Bot, parent: dict) -> dict:
    return bot.fake.wait_for(
        lambda: next((m for m in thread(bot, parent) if Action.RECORD_PUBLISH in buttons(m)), None),
        what="the finished SOP",
    )
