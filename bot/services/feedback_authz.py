"""Who may handle feedback: SOPBOT_ADMINS, workspace admins and owners, the SOP's owner, and
the members of MANAGER_CHANNEL.

Written for feedback because bot/services/authz.py (Training's `is_manager`) did not exist yet;
the rule is the same, so the two can become one.
"""

from __future__ import annotations

from typing import Protocol

from bot.config import Settings


class People(Protocol):
    """The Slack look-ups the rule needs; the Slack layer implements them."""

    def active_user(self, ref: str) -> str | None:
        """A user ID or e-mail -> the user ID of an active, human member; None otherwise."""
        ...

    def is_workspace_admin(self, user_id: str) -> bool:
        """Workspace admin or owner."""
        ...

    def channel_members(self, channel_id: str) -> frozenset[str]:
        """Members of a channel (empty when sopbot cannot see it)."""
        ...


def owns(people: People, *, user_id: str, owner: str | None) -> bool:
    """Whether `user_id` is the SOP owner written as a user ID or an e-mail."""
    if not owner:
        return False
    if owner == user_id:
        return True
    return "@" in owner and people.active_user(owner) == user_id


def is_manager(people: People, *, settings: Settings, user_id: str) -> bool:
    """SOPBOT_ADMINS, workspace admins/owners and MANAGER_CHANNEL members (cheapest first)."""
    if user_id in settings.admins:
        return True
    if people.is_workspace_admin(user_id):
        return True
    channel = settings.manager_channel
    return channel is not None and user_id in people.channel_members(channel)


def may_handle(people: People, *, settings: Settings, user_id: str, owner: str | None) -> bool:
    """Whether `user_id` may acknowledge, resolve or decline feedback on an SOP with `owner`."""
    return owns(people, user_id=user_id, owner=owner) or is_manager(
        people, settings=settings, user_id=user_id
    )
