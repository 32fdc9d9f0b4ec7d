"""What the feedback end-to-end tests share: the dispatcher run in-test, forms, transcripts."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from bot.db.feedback import Feedback
from bot.slack.ids import Action
from bot.slacksim.seed import OPS_MANAGERS, SUPPORT
from tests.e2e.conftest import Bot

MANAGERS = OPS_MANAGERS


def with_managers(bot: Bot, channel: str | None = MANAGERS, **settings: Any) -> Bot:
    """The bot with MANAGER_CHANNEL (and any other settings) as a deployment would set them."""
    bot.runtime.settings = replace(bot.runtime.settings, manager_channel=channel, **settings)
    return bot


def open_form(bot: Bot, user: str, text: str = "", channel: str = SUPPORT) -> dict:
    """`/feedback [text]` that opens the form; returns the form as the user sees it."""
    before = (bot.fake.open_view(user) or {}).get("id")
    ack = bot.slack.command(user, "/feedback", text, channel=channel)
    assert ack.status == 200 and ack.acked_in_time
    return bot.fake.wait_for(
        lambda: (v := bot.fake.open_view(user)) and v["id"] != before and v, what="the form"
    )


def step_block(view: dict) -> dict | None:
    """The form's step input, if an SOP is chosen."""
    return next((b for b in view["blocks"] if b["block_id"].startswith("fb-step-")), None)


def step_options(view: dict) -> list[str]:
    """The step numbers the form offers."""
    block = step_block(view)
    return [o["value"] for o in block["element"]["options"]] if block else []


def choose_sop(bot: Bot, user: str, view: dict, slug: str, query: str) -> dict:
    """Type `query` into the SOP select, pick `slug`, wait for its steps to appear."""
    bot.slack.select(user, view, Action.FEEDBACK_SOP, slug, query=query)
    return bot.fake.wait_for(
        lambda: (
            (v := bot.fake.open_view(user))
            and (block := step_block(v))
            and block["block_id"].startswith(f"fb-step-{slug}-")
            and v
        ),
        what=f"steps of {slug}",
    )


def one_line(bot: Bot, user: str, text: str, channel: str = SUPPORT) -> dict:
    """`/feedback SOP STEP TEXT`; returns the ephemeral answer."""
    seen = len(bot.fake.ephemerals(user))
    ack = bot.slack.command(user, "/feedback", text, channel=channel)
    assert ack.status == 200 and ack.acked_in_time
    return bot.fake.wait_for(
        lambda: (e := bot.fake.ephemerals(user)) and len(e) > seen and e[-1], what="an answer"
    )


def stored(bot: Bot) -> list[Feedback]:
    """Every feedback row, oldest first."""
    with bot.runtime.database.session() as session:
        return list(session.scalars(select(Feedback).order_by(Feedback.id)))


def everything_sent(bot: Bot) -> str:
    """All the bot showed anyone: messages, replies, DMs, ephemerals, modals, Home tabs."""
    ws = bot.fake.ws
    shown: list[Any] = []
    for channel in list(ws.channels):
        shown += bot.fake.messages(channel, include_replies=True)
    for user in list(ws.users):
        shown += bot.fake.ephemerals(user)
    with ws.lock:
        views = [view.spec for view in ws.views.values()]
    for spec in views:
        # Text the person typed comes back as an input's initial value: plain, not rendered.
        blocks = [
            {**b, "element": {k: v for k, v in b["element"].items() if k != "initial_value"}}
            if b.get("type") == "input"
            else b
            for b in spec.get("blocks", [])
        ]
        shown.append({**spec, "blocks": blocks})
    return json.dumps(shown, ensure_ascii=False)


def rewrite_sop(bot: Bot, name: str, old: str, new: str) -> None:
    """Edit a sample SOP file in the bot's folder and publish it."""
    path = next(bot.sops_dir.rglob(name))
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    bot.publish()
