"""Refusals for people sopbot does not serve: no SOP content, not even a title."""

from __future__ import annotations

from bot.core.mrkdwn import escape
from bot.slack.blocks.kit import context, header, section
from bot.slack.blocks.limits import truncate
from bot.slack.blocks.lookup import NO_SOPS

ANOTHER_WORKSPACE = "This sopbot serves another workspace."
NONE_TO_OPEN = "No SOP you can open matches."
EMPTY = "No SOPs you can open."  # the empty list, help and Home for an outsider


def empty_list(*, sees_all: bool) -> str:
    """What an empty list of SOPs says: none published, or (to an outsider) none to open."""
    return NO_SOPS if sees_all else EMPTY


def members_only_text(workspace: str) -> str:
    """The one line EXTERNAL_PEOPLE=deny answers everything with."""
    return f"sopbot is for members of {workspace or 'this workspace'} only."


def members_only(workspace: str) -> dict:
    """An ephemeral: sopbot does not serve guests or other organisations here."""
    text = escape(members_only_text(workspace))
    return {"text": text, "blocks": [section(text, block_id="members-only")]}


def members_only_home(workspace: str) -> dict:
    """The Home tab an outsider sees under EXTERNAL_PEOPLE=deny."""
    text = escape(members_only_text(workspace))
    return {
        "type": "home",
        "blocks": [header("SOPs", block_id="home-title"), section(text, block_id="members-only")],
    }


def members_only_modal(workspace: str) -> dict:
    """What a submitted form turns into under EXTERNAL_PEOPLE=deny."""
    text = escape(members_only_text(workspace))
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "sopbot"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [section(text, block_id="members-only")],
    }


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
