"""Slack look-ups for permissions, feedback routing and the outsider policy, cached a minute."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
NOT_FOUND = frozenset(
    {"user_not_found", "users_not_found", "channel_not_found", "not_in_channel", "user_not_visible"}
)
TTL_SECONDS = 60.0  # long enough to spare Slack during a burst, short enough to notice changes
# Answers kept at most: a person or a channel each. A workspace busier than this within a
# minute asks Slack a little more often instead of growing the process without end.
MAX_ENTRIES = 5_000

_lock = threading.Lock()
# Oldest first: every answer lives TTL_SECONDS, so insertion order is also expiry order.
_cache: OrderedDict[tuple[str, ...], tuple[float, Any]] = OrderedDict()


def clear_cache() -> None:
    """Forget every cached answer (tests that change who is a manager call this)."""
    with _lock:
        _cache.clear()


class SlackPeople:
    """Implements bot.services.authz.People over the Web API; answers are shared for a minute."""

    def __init__(self, client: WebClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock

    def _cached(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        # Keyed by API URL and token as well, so two workspaces (or two fakes) never mix.
        full = (self.client.base_url, self.client.token or "", *key)
        now = self.clock()
        with _lock:
            hit = _cache.get(full)
            if hit is not None and hit[0] > now:
                return hit[1]
        value = load()  # errors are not cached: the next request asks Slack again
        with _lock:
            now = self.clock()  # read under the lock, so later entries never expire sooner
            _cache.pop(full, None)
            _cache[full] = (now + TTL_SECONDS, value)
            while len(_cache) > MAX_ENTRIES or next(iter(_cache.values()))[0] <= now:
                _cache.popitem(last=False)
        return value

    def _user(self, ref: str) -> dict[str, Any] | None:
        def load() -> dict[str, Any] | None:
            try:
                if "@" in ref:
                    return dict(self.client.users_lookupByEmail(email=ref)["user"])
                return dict(self.client.users_info(user=ref)["user"])
            except SlackApiError as exc:
                if exc.response.get("error") not in NOT_FOUND:
                    raise
                return None

        return self._cached(("user", ref), load)

    def user(self, user_id: str) -> dict[str, Any] | None:
        """users.info's `user` (None when Slack knows no such user); other errors are raised."""
        return self._user(user_id) if USER_ID.match(user_id) else None

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
        return bool(
            user and (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        )

    def channel_members(self, channel_id: str) -> frozenset[str]:
        """Members of a channel, every page; empty when sopbot cannot see it."""
        return self._cached(("members", channel_id), lambda: self._members(channel_id))

    def channel_id(self, name: str) -> str | None:
        """The ID of the channel called `name` (public, or private with sopbot in it)."""
        return self._cached(("channel-ids",), self._channel_ids).get(name)

    def group_members(self, handle: str) -> frozenset[str]:
        """Members of the user group with this handle; empty when there is none."""
        groups = self._cached(("group-ids",), self._group_ids)
        group_id = groups.get(handle)
        if group_id is None:
            return frozenset()
        return self._cached(("group", group_id), lambda: self._group_users(group_id))

    def _channel_ids(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        cursor = None
        while True:
            page = self.client.conversations_list(
                types="public_channel,private_channel",
                exclude_archived=True,
                cursor=cursor,
                limit=200,
            )
            ids.update((c["name"], c["id"]) for c in page.get("channels", []))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return ids

    def _group_ids(self) -> dict[str, str]:
        return {g["handle"]: g["id"] for g in self.client.usergroups_list().get("usergroups", [])}

    def _group_users(self, group_id: str) -> frozenset[str]:
        try:
            return frozenset(self.client.usergroups_users_list(usergroup=group_id)["users"])
        except SlackApiError as exc:
            if exc.response.get("error") not in {*NOT_FOUND, "no_such_subteam"}:
                raise
            return frozenset()

    def _members(self, channel_id: str) -> frozenset[str]:
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
            # A wrong MANAGER_CHANNEL must not lock managers out of everything else.
            log.warning("cannot read members of %s (%s)", channel_id, exc.response["error"])
        return frozenset(members)
