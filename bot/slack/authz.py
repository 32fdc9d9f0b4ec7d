"""The permission rules of bot/services/authz.py, asked of Slack for one person.

Slack's answers come from the context's people cache (a minute each).
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.services import authz
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)


def may_handle_sop(ctx: SlackContext, user_id: str, owner: str | None) -> bool:
    """Whether the person may manage an SOP with this `owner:` (a user ID or an e-mail): its
    owner, SOPBOT_ADMINS, workspace admins and owners, and MANAGER_CHANNEL members."""
    settings = ctx.runtime.settings
    return authz.may_handle(ctx.people, settings=settings, user_id=user_id, owner=owner)


def manages_every_sop(ctx: SlackContext, user_id: str) -> bool:
    """SOPBOT_ADMINS, workspace admins and owners, and MANAGER_CHANNEL members."""
    settings = ctx.runtime.settings
    return authz.manages_every_sop(ctx.people, settings=settings, user_id=user_id)


def is_admin(ctx: SlackContext, user_id: str) -> bool:
    """SOPBOT_ADMINS and the workspace's admins and owners; False when Slack cannot say."""
    try:
        return authz.is_admin(ctx.people, settings=ctx.runtime.settings, user_id=user_id)
    except SlackApiError as exc:
        log.warning("could not tell whether %s is an admin: %s", user_id, exc)
        return False
