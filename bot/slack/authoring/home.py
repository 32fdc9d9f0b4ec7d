"""The Home tab's section of recent edits made from Slack."""

from __future__ import annotations

from typing import Any

from bot.services import edits
from bot.slack.authoring import blocks
from bot.slack.authz import manages_every_sop
from bot.slack.context import SlackContext


def home_section(ctx: SlackContext, user_id: str) -> list[dict[str, Any]]:
    """Recent edits from Slack: every SOP's for managers, their own SOPs' for owners."""
    with ctx.runtime.database.session() as session:
        recent = edits.recent_edits(session)
    if not manages_every_sop(ctx, user_id):
        recent = [e for e in recent if e.owner == user_id]
    return blocks.home_section(recent)
