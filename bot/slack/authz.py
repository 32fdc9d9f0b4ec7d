"""The permission rule of bot/services/authz.py, asked of Slack by the listeners."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime
from bot.services import authz
from bot.slack.people import SlackPeople, clear_cache

__all__ = ["clear_cache", "is_admin", "is_manager"]
log = logging.getLogger(__name__)


def is_manager(
    client: WebClient, runtime: Runtime, user_id: str, sop_owner: str | None = None
) -> bool:
    """True for SOPBOT_ADMINS, workspace admins/owners, the SOP's owner and MANAGER_CHANNEL members.

    `sop_owner` is the SOP's `owner:` (a user ID or an e-mail); leave it out for rules that
    are not about one SOP. Slack answers are cached for a minute.
    """
    people = SlackPeople(client)
    return authz.may_handle(people, settings=runtime.settings, user_id=user_id, owner=sop_owner)


def is_admin(client: WebClient, runtime: Runtime, user_id: str) -> bool:
    """SOPBOT_ADMINS and the workspace's admins and owners; False when Slack cannot say."""
    try:
        return authz.is_admin(SlackPeople(client), settings=runtime.settings, user_id=user_id)
    except SlackApiError as exc:
        log.warning("could not tell whether %s is an admin: %s", user_id, exc)
        return False
