"""What the request gates answer people sopbot does not serve: one line, no SOP content."""

from __future__ import annotations

from bot.core.mrkdwn import escape
from bot.slack.kit.blocks import header, section

ANOTHER_WORKSPACE = "This sopbot serves another workspace."


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
