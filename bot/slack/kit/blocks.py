"""Block Kit primitives and the small pieces of text the builders share.

Every function here that takes `text` expects safe mrkdwn (already escaped); the ones that
take a title, a name or a slug escape it themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from bot.core.mrkdwn import escape, to_mrkdwn
from bot.slack.ids import Action
from bot.slack.kit.cards import RunCard, SopCard
from bot.slack.kit.limits import BUTTON_TEXT, BUTTON_VALUE, HEADER_TEXT, SECTION_TEXT, truncate

T = TypeVar("T")
USER_ID_RE = re.compile(r"^[UW][A-Z0-9]+$")
CHANNEL_ID_RE = re.compile(r"^[CG][A-Z0-9]+$")
TITLE_CHARS = 200  # long enough for any sane title, short enough to keep lists compact
SUMMARY_CHARS = 150


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object; verbatim so Slack never auto-links names in SOP text."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object from already-escaped text, cut to `limit`."""
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def section(text: str, *, block_id: str, accessory: dict | None = None) -> dict[str, Any]:
    """A section of safe mrkdwn, cut to Slack's limit."""
    block: dict[str, Any] = {
        "type": "section",
        "block_id": block_id,
        "text": mrkdwn(truncate(text, SECTION_TEXT)),
    }
    if accessory is not None:
        block["accessory"] = accessory
    return block


def header(text: str, *, block_id: str) -> dict[str, Any]:
    """A header from already-escaped text, cut to 150 characters."""
    return {"type": "header", "block_id": block_id, "text": plain(text, HEADER_TEXT)}


def context(text: str, *, block_id: str) -> dict[str, Any]:
    """A one-line context block of safe mrkdwn."""
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [mrkdwn(truncate(text, SECTION_TEXT))],
    }


def actions(elements: list[dict], *, block_id: str) -> dict[str, Any]:
    """An actions block."""
    return {"type": "actions", "block_id": block_id, "elements": elements}


def button(
    label: str,
    *,
    action_id: Action,
    value: str,
    style: Literal["primary", "danger"] | None = None,
    confirm: dict | None = None,
) -> dict[str, Any]:
    """A button; the label is our own text, the value is what the listener parses."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(label, BUTTON_TEXT),
        "action_id": str(action_id),
        # Real slugs and IDs are short; the cut keeps a forged value from breaking the message.
        "value": value[:BUTTON_VALUE],
    }
    if style is not None:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element


def mention(user_id: str) -> str:
    """A deliberate mention of a Slack user; refuses anything that is not a user ID."""
    if not USER_ID_RE.match(user_id):
        raise ValueError(f"not a Slack user ID: {user_id[:40]!r}")
    return f"<@{user_id}>"


def channel_mention(channel_id: str) -> str:
    """A link to a channel by its ID; refuses anything that is not a channel ID."""
    if not CHANNEL_ID_RE.match(channel_id):
        raise ValueError(f"not a Slack channel ID: {channel_id[:40]!r}")
    return f"<#{channel_id}>"


def bold(text: str, limit: int = TITLE_CHARS) -> str:
    """Untrusted text in bold; a `*` inside would end the bold early, so it becomes a look-alike."""
    return "*" + truncate(escape(" ".join(text.split())), limit).replace("*", "\u2217") + "*"


def code(text: str, limit: int = 100) -> str:
    """Untrusted text as inline code; a backtick would end it, so it becomes a look-alike."""
    return "`" + truncate(escape(text), limit).replace("`", "\u02cb") + "`"


def one_line(markdown: str, limit: int = SUMMARY_CHARS) -> str:
    """Markdown rendered to mrkdwn on a single line, cut to `limit`."""
    return truncate(" ".join(to_mrkdwn(markdown).split()), limit)


def plural(count: int, word: str) -> str:
    """`1 step`, `8 steps`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def duration(seconds: float | None) -> str:
    """A short human duration: `40 s`, `12 min`, `1 h 5 min`."""
    seconds = max(seconds or 0.0, 0.0)
    if seconds < 60:
        return f"{round(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def sop_facts(card: SopCard) -> str:
    """`slug` · v3 · 8 steps."""
    return f"{code(card.slug)} · v{card.revision} · {plural(card.step_count, 'step')}"


def sop_section(card: SopCard, *, block_id: str) -> dict[str, Any]:
    """One SOP with its facts, outcome and a Start button."""
    text = f"{bold(card.title)}\n{sop_facts(card)}"
    if card.outcome.strip():
        text += f"\n{one_line(card.outcome)}"
    start = button("Start", action_id=Action.START_SOP, value=card.slug)
    return section(text, block_id=block_id, accessory=start)


def run_text(run: RunCard) -> str:
    """*Title* — step 3 of 8 · v2."""
    return f"{bold(run.title)} — step {run.step_number} of {run.step_count} · v{run.revision}"


def run_section(run: RunCard, *, block_id: str) -> dict[str, Any]:
    """One unfinished run with a Continue button."""
    resume = button(
        "Continue", action_id=Action.CONTINUE_RUN, value=str(run.run_id), style="primary"
    )
    return section(run_text(run), block_id=block_id, accessory=resume)


def listing(
    items: Sequence[T], render: Callable[..., dict], *, prefix: str, room: int, more: str
) -> list[dict[str, Any]]:
    """Sections for up to `room` blocks of items, the last one saying how many were left out."""
    if len(items) <= room:
        return [render(item, block_id=f"{prefix}-{i}") for i, item in enumerate(items)]
    shown = max(room - 1, 0)
    blocks = [render(item, block_id=f"{prefix}-{i}") for i, item in enumerate(items[:shown])]
    if room > 0:
        left = len(items) - shown
        blocks.append(context(f"…and {left} more. {more}".strip(), block_id=f"{prefix}-more"))
    return blocks
