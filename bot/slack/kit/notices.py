"""Short ephemeral notices every feature shows, and what an outsider is told instead of SOPs."""

from __future__ import annotations

from bot.core.mrkdwn import escape
from bot.slack.kit.blocks import context, section
from bot.slack.kit.limits import SECTION_TEXT, truncate

NO_SOPS = "No SOPs are published yet."

NONE_TO_OPEN = "No SOP you can open matches."
EMPTY = "No SOPs you can open."  # the empty list, help and Home for an outsider


def empty_list(*, sees_all: bool) -> str:
    """What an empty list of SOPs says: none published, or (to an outsider) none to open."""
    return NO_SOPS if sees_all else EMPTY


def none_to_open(query: str | None = None) -> dict:
    """An ephemeral for an SOP the person may not open (or that does not exist): no title."""
    text = NONE_TO_OPEN
    if query:
        words = truncate(escape(" ".join(query.split())), 100)
        text = f"No SOP you can open matches “{words}”."
    hint = "`/sop list` shows the SOPs you can open."
    return {
        "text": truncate(text, 300),
        "blocks": [section(text, block_id="none-to-open"), context(hint, block_id="none-hint")],
    }


def notice(text: str) -> dict:
    """A one-section ephemeral from mrkdwn the caller has already made safe (escaped)."""
    text = truncate(text, SECTION_TEXT)
    return {"text": text, "blocks": [section(text, block_id="notice")]}


def plain_notice(text: str) -> dict:
    """A one-section ephemeral from plain text, escaped here."""
    return notice(escape(text))
