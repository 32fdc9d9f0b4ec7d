"""The look-ups feedback permissions and routing need, over the Web API, cached per request."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
NOT_FOUND = frozenset(
    {"user_not_found", "users_not_found", "channel_not_found", "not_in_channel", "user_not_visible"}
)


class SlackPeople:
    """Implements bot.services.feedback_authz.People; make one per request (no stale rights)."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._users: dict[str, dict[str, Any] | None] = {}
        self._members: dict[str, frozenset[str]] = {}

    def _user(self, ref: str) -> dict[str, Any] | None:
        if ref not in self._users:
            try:
                if "@" in ref:
                    found = self.client.users_lookupByEmail(email=ref)["user"]
                else:
                    found = self.client.users_info(user=ref)["user"]
            except SlackApiError as exc:
                if exc.response.get("error") not in NOT_FOUND:
                    raise
                found = None
            self._users[ref] = found
        return self._users[ref]

    def active_user(self, ref: str) -> str | None:
        """A user ID or e-mail -> the user ID of an active, human member; None otherwise."""
        if "@" not in ref and not USER_ID.match(ref):
            return None
        try:
            user = self._user(ref)
        except SlackApiError as exc:
            # Slack is having trouble: a user ID is still worth a DM (the outbox retries it).
            log.warning("owner look-up failed (%s)", exc.response.get("error"))
            return ref if "@" not in ref else None
        if user is None or user.get("deleted") or user.get("is_bot"):
            return None
        return str(user["id"])

    def is_workspace_admin(self, user_id: str) -> bool:
        """Workspace admin or owner."""
        user = self._user(user_id) if USER_ID.match(user_id) else None
        return bool(user and (user.get("is_admin") or user.get("is_owner")))

    def channel_members(self, channel_id: str) -> frozenset[str]:
        """Members of a channel, every page; empty when sopbot cannot see it."""
        if channel_id not in self._members:
            members: set[str] = set()
            cursor = None
            try:
                while True:
                    page = self.client.conversations_members(
                        channel=channel_id, cursor=cursor, limit=200
                    )
                    members.update(page.get("members", []))
                    cursor = (page.get("response_metadata") or {}).get("next_cursor")
                    if not cursor:
                        break
            except SlackApiError as exc:
                if exc.response.get("error") not in NOT_FOUND:
                    raise
                log.warning("cannot read members of %s (%s)", channel_id, exc.response["error"])
            self._members[channel_id] = frozenset(members)
        return self._members[channel_id]
