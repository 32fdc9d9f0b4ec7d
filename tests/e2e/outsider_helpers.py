"""What the outsider tests share: naming someone in an audience, forged presses, what was shown."""

from __future__ import annotations

from dataclasses import replace

from bot.slack.ids import Action
from bot.slacksim import payloads
from bot.slacksim.driver import DriverResponse
from tests.e2e.conftest import Bot
from tests.e2e.feedback_helpers import everything_sent, rewrite_sop

__all__ = ["everything_sent"]
# Every sample SOP's title; an outsider may see only those named for them.
TITLES = {
    "customer-inquiry": "Answer a customer inquiry within minutes",
    "refund-request": "Handle a refund request",
    "new-hire-onboarding": "Onboard a new hire",
    "outsourced-work": "Brief and review outsourced work",
}


def policy(bot: Bot, value: str) -> Bot:
    """EXTERNAL_PEOPLE as a deployment would set it."""
    bot.runtime.settings = replace(bot.runtime.settings, external_people=value)
    return bot


def name_in_audience(bot: Bot, file: str, entry: str) -> None:
    """Add `entry` to a sample SOP's audience and publish (a wording-only revision)."""
    rewrite_sop(bot, file, 'audience: ["', f'audience: ["{entry}", "')


def shown_to(bot: Bot, user: str) -> set[str]:
    """The ephemerals `user` has now, to tell a new answer from them."""
    return {e["ts"] for e in bot.fake.ephemerals(user)}


def answer(bot: Bot, user: str, seen: set[str]) -> dict:
    """The first ephemeral `user` got that is not among those `seen`."""
    return bot.fake.wait_for(
        lambda: next((e for e in bot.fake.ephemerals(user) if e["ts"] not in seen), None),
        what="an answer",
    )


def sop_command(bot: Bot, user: str, text: str, channel: str) -> dict:
    """`/sop text`; returns the ephemeral answer."""
    seen = shown_to(bot, user)
    ack = bot.slack.command(user, "/sop", text, channel=channel)
    assert ack.status == 200 and ack.acked_in_time
    return answer(bot, user, seen)


def titles_in(shown: str) -> set[str]:
    """The slugs of the sample SOPs whose titles appear in `shown`."""
    return {slug for slug, title in TITLES.items() if title in shown}


def forged_press(
    bot: Bot, user: str, source: dict, action_id: str, value: str, *, shown: str | None = None
) -> DriverResponse:
    """`user` presses the button `action_id` (the one valued `shown`) in `source`, with `value`
    sent instead: Slack does not keep ephemeral messages, so their buttons' values come back
    from the person's own client, which they can change."""
    user_id = bot.fake.ws.user_id(user)
    target = bot.slack._source(user_id, source)
    found = payloads.locate(bot.slack._blocks_of(target), action_id, value=shown, types={"button"})
    act = {**payloads.action(found, action_ts=bot.fake.ws.next_ts()), "value": value}
    return bot.slack._interaction(bot.slack._block_actions(user_id, target, act, None))


def start_buttons(message: dict) -> list[str]:
    """The slugs offered with Start buttons."""
    return [
        element.get("value", "")
        for block in message.get("blocks") or []
        for element in (block.get("elements") or []) + [block.get("accessory") or {}]
        if element.get("action_id") == Action.START_SOP
    ]
