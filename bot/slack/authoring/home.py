"""The Home tab's section of recent edits made from Slack."""

from __future__ import annotations

from typing import Any

from bot.services import edits
from bot.slack.authoring import blocks
from bot.slack.authz import managed_sops
from bot.slack.context import SlackContext


def home_section(ctx: SlackContext, user_id: str) -> list[dict[str, Any]]:
    """Recent edits from Slack: every SOP's for managers, else those of the SOPs the person
    owns or manages through their `managers:` channel."""
    with ctx.runtime.database.session() as session:
        recent = edits.recent_edits(session)
    managed = managed_sops(ctx, user_id)
    if managed is not None:
        recent = [e for e in recent if e.slug in managed]
    return blocks.home_section(recent)
