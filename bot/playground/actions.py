"""What a person does on the page, delivered to the bot exactly the way Slack would deliver it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.core.mrkdwn import escape
from bot.playground.clock import digest_covering_today
from bot.playground.jumps import waypoints
from bot.playground.notice import Notice
from bot.playground.render.text import unslack
from bot.playground.state import people

if TYPE_CHECKING:
    from bot.playground.wiring import Playground

# The app's slash commands, as deploy/slack-app-manifest.yml registers them with Slack.
APP_COMMANDS = frozenset({"/sop", "/feedback"})
MAX_ADVANCE = 30 * 86400
SETTLE_SECONDS = 60


class Refused(ValueError):
    """Something Slack would not let the person do; the message says what and why."""


def conversation(play: Playground, view: str) -> str:
    """The channel a view posts to: one the person is in, or their DM with the app."""
    ws = play.ws
    if view == "app":
        return ws.bot_im(play.user).id
    channel = ws.channels.get(view)
    if channel is None or play.user not in channel.members or channel.is_archived:
        raise Refused("You can only post in conversations you are a member of.")
    return channel.id


def notice(play: Playground, channel: str, text: str, thread_ts: str | None = None) -> None:
    """A line from Slack itself that only this person sees."""
    with play.lock:
        play.notices.append(Notice(channel, play.user, text, play.ws.next_ts(), thread_ts))
    play.bump()


def send(play: Playground, *, view: str, text: str, thread_ts: str | None = None) -> None:
    """The composer: `/command …` goes to the app as a slash command, anything else is posted."""
    text = text.strip()
    if not text:
        raise Refused("Type a message first.")
    channel = conversation(play, view)
    if not text.startswith("/"):
        # Slack clients escape these three before sending, so typed text can never ping anyone.
        typed, thread = escape(text), thread_ts or None
        if play.ws.bot_user_id in play.ws.channels[channel].members:
            # Slack sends the app a `message` event where it is a member (a /sop record step).
            _check(play.driver.user_message(play.user, channel, typed, thread_ts=thread).status)
        else:
            play.driver.post_as_user(play.user, channel, typed, thread_ts=thread)
        return
    command, _, rest = text.partition(" ")
    if command not in APP_COMMANDS:
        command = escape(command)  # shown back in Slack's notice as text, never as markup
    if thread_ts:
        notice(play, channel, f"{command} is not supported in threads. Sorry!", thread_ts)
        return
    if command not in APP_COMMANDS:
        notice(
            play,
            channel,
            f"{command} is not a valid command. In Slack, all messages that start with "
            'the "/" character are interpreted as commands.',
        )
        return
    response = play.driver.command(play.user, command, rest.strip(), channel=channel)
    if response.status != 200:
        notice(play, channel, f"{command} failed: the app answered HTTP {response.status}.")
    elif response.problems:
        notice(play, channel, f"{command} failed: Slack refused the app's answer.")


def click(
    play: Playground,
    *,
    source: str,
    action_id: str,
    block_id: str | None = None,
    value: str | None = None,
    values: dict | None = None,
) -> None:
    """A button press in a message, an ephemeral, the Home tab or a modal."""
    response = play.driver.click(
        play.user, source, action_id, value, block_id, values=values or None
    )
    _check(response.status)


def select(
    play: Playground,
    *,
    source: str,
    action_id: str,
    value: str | list[str],
    block_id: str | None = None,
    query: str = "",
) -> None:
    """A choice in a select menu, overflow menu, radio buttons or checkboxes."""
    response = play.driver.select(
        play.user, source, action_id, value, block_id=block_id, query=query
    )
    _check(response.status)


def suggest(
    play: Playground, *, source: str, action_id: str, block_id: str | None = None, query: str = ""
) -> dict[str, list[dict[str, Any]]]:
    """The options the app offers for what was typed into an external select."""
    options = play.driver.suggest(play.user, source, action_id, query, block_id=block_id)
    labelled = [
        {"label": unslack(str((o.get("text") or {}).get("text", ""))), "option": o}
        for o in options
        if isinstance(o, dict)
    ]
    return {"options": labelled}


def submit(play: Playground, *, view_id: str, values: dict | None = None) -> dict[str, str]:
    """Submit the modal on top; says what Slack did with the app's answer."""
    response = play.driver.submit_view(play.user, view_id, values or {})
    if response.outcome == "rejected":
        raise Refused("The app could not process that (Slack would say: We had some trouble).")
    return {"outcome": response.outcome or ""}


def close(play: Playground, *, view_id: str) -> None:
    play.driver.close_view(play.user, view_id)


def open_home(play: Playground) -> None:
    """The person opens the app's Home tab; the app hears app_home_opened."""
    _check(play.driver.app_home_opened(play.user).status)


def switch_user(play: Playground, *, user: str) -> None:
    if user not in {p["id"] for p in people(play)}:
        raise Refused("Pick someone from the seeded team.")
    with play.lock:
        play.user = user
    play.bump()


def advance(play: Playground, *, seconds: float | None = None, to: str | None = None) -> dict:
    """Move the clock forward, run the jobs due on the way and send the outbox, then answer."""
    covers, now = None, play.clock()
    if to == "digest":
        target, covers = digest_covering_today(now, play.digest_config())
    elif seconds is not None and 0 < float(seconds) <= MAX_ADVANCE:
        target = now + timedelta(seconds=float(seconds))
    else:
        raise Refused("Advance by 1 second up to 30 days, or to the next digest.")
    ran: list[str] = []
    stops = [*waypoints(play.runtime, start=now, end=target), target]
    # The ticker thread waits until the jump is over, so every job run on the way is in `ran`.
    with play.ticker.held():
        # The bot "was running" through the jump: it stops where work falls due, so nothing
        # along the way is recorded missed (a scheduled run, a digest) and warned about.
        for moment in stops:
            play.clock.advance_to(moment)
            ran += [job for job in play.ticker.tick() if job not in ran]
        # Then one more minute passes, so work those jobs left for their next run (the
        # digest's chart, uploaded once the digest is sent) is done too, a minute later.
        play.clock.advance(SETTLE_SECONDS)
        ran += [job for job in play.ticker.tick() if job not in ran]
    play.bump()
    answer = {"ran": ran, "now": play.clock().isoformat()}
    return answer if covers is None else {**answer, "covers": covers.isoformat()}


def _check(status: int) -> None:
    if status != 200:
        raise Refused(f"The app answered HTTP {status}; see the terminal for its log.")
