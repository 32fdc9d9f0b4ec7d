"""Who may do what in sopbot: one rule for training, feedback, KPIs and settings.

Managers are SOPBOT_ADMINS, the workspace's admins and owners, and the members of
MANAGER_CHANNEL; an SOP's owner and the members of its `managers:` channel may also manage that
SOP. Admins (who may change the digest
settings) are SOPBOT_ADMINS and the workspace's admins and owners.
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


def is_admin(people: People, *, settings: Settings, user_id: str) -> bool:
    """SOPBOT_ADMINS and workspace admins/owners."""
    return user_id in settings.admins or people.is_workspace_admin(user_id)


def manages_every_sop(people: People, *, settings: Settings, user_id: str) -> bool:
    """Admins and MANAGER_CHANNEL members (cheapest check first)."""
    if is_admin(people, settings=settings, user_id=user_id):
        return True
    channel = settings.manager_channel
    return channel is not None and user_id in people.channel_members(channel)


def may_handle(
    people: People,
    *,
    settings: Settings,
    user_id: str,
    owner: str | None,
    managers_channel: str | None = None,
) -> bool:
    """Whether `user_id` may manage an SOP with `owner` and its `managers:` channel (an ID)."""
    if user_id in settings.admins:
        return True
    if managers_channel is not None and user_id in people.channel_members(managers_channel):
        return True
    return owns(people, user_id=user_id, owner=owner) or manages_every_sop(
        people, settings=settings, user_id=user_id
    )
