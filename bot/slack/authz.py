"""Who counts as a manager in sopbot: one rule, shared by training and feedback."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.frontmatter import EMAIL_RE
from bot.wiring import Services

log = logging.getLogger(__name__)
T = TypeVar("T")
TTL_SECONDS = 60.0  # long enough to spare Slack during a burst, short enough to notice changes

_lock = threading.Lock()
_cache: dict[tuple[str, ...], tuple[float, Any]] = {}


def is_manager(
    client: WebClient, services: Services, user_id: str, sop_owner: str | None = None
) -> bool:
    """True for SOPBOT_ADMINS, workspace admins/owners, the SOP's owner and MANAGER_CHANNEL members.

    `sop_owner` is the SOP's `owner:` (a user ID or an e-mail); leave it out for rules that
    are not about one SOP. Slack answers are cached for a minute.
    """
    settings = services.settings
    if user_id in settings.admins or (sop_owner is not None and sop_owner == user_id):
        return True
    user = _cached(client, ("user", user_id), lambda: _user(client, user_id))
    if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
        return True
    email = (user.get("profile") or {}).get("email") or ""
    if sop_owner and EMAIL_RE.match(sop_owner) and email.casefold() == sop_owner.casefold():
        return True
    channel = settings.manager_channel
    if channel:
        members = _cached(client, ("members", channel), lambda: _members(client, channel))
        return user_id in members
    return False


def is_admin(client: WebClient, services: Services, user_id: str) -> bool:
    """SOPBOT_ADMINS and the workspace's admins and owners."""
    if user_id in services.settings.admins:
        return True
    try:
        user = _cached(client, ("user", user_id), lambda: _user(client, user_id))
    except SlackApiError:
        return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def clear_cache() -> None:
    """Forget every cached answer (tests that change who is a manager call this)."""
    with _lock:
        _cache.clear()


def _cached(client: WebClient, key: tuple[str, ...], load: Callable[[], T]) -> T:
    # Keyed by API URL and token as well, so two workspaces (or two fakes) never mix.
    full = (client.base_url, client.token or "", *key)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(full)
        if hit is not None and hit[0] > now:
            return hit[1]
    value = load()
    with _lock:
        _cache[full] = (now + TTL_SECONDS, value)
    return value


def _user(client: WebClient, user_id: str) -> dict[str, Any]:
    try:
        return dict(client.users_info(user=user_id)["user"])
    except SlackApiError as exc:
        if exc.response.get("error") == "user_not_found":
            return {}
        raise


def _members(client: WebClient, channel: str) -> frozenset[str]:
    members: set[str] = set()
    cursor = None
    try:
        while True:
            page = client.conversations_members(channel=channel, limit=200, cursor=cursor)
            members.update(page.get("members", []))
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return frozenset(members)
    except SlackApiError as exc:
        # A wrong MANAGER_CHANNEL must not lock managers out of everything else.
        log.warning("MANAGER_CHANNEL %s unreadable: %s", channel, exc.response.get("error"))
        return frozenset()
