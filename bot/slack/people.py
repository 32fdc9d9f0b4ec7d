"""Looking people, channels and user groups up in Slack: the one adapter for the services.

`SlackPeople` answers permission, feedback routing and outsider questions from a cache that
keeps each answer a minute (owned by the SlackContext, so it is per process and per
workspace). `SlackDirectory` resolves training audiences, reading whole lists once per pass.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.audience import Person
from bot.services.sops_git import Author

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# "Does not exist" answers; anything else (rate limits, outages) is raised for the caller.
NOT_FOUND = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_not_visible",
        "channel_not_found",
        "not_in_channel",
        "no_such_subteam",
    }
)
TTL_SECONDS = 60.0  # long enough to spare Slack during a burst, short enough to notice changes
# Answers kept at most: a person or a channel each. A workspace busier than this within a
# minute asks Slack a little more often instead of growing the process without end.
MAX_ENTRIES = 5_000
PAGE = 200
# users.info calls in one pass before the rest come from users.list, read whole once: Slack
# allows users.info about 100 times a minute, so a 2,000-member channel would take 20 minutes
# one by one, while users.list gives 200 people a call (10 calls).
BULK_AFTER = 50


class PeopleCache:
    """Answers kept TTL_SECONDS each, at most `max_entries`, oldest dropped first."""

    def __init__(
        self, *, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_entries, self.clock = max_entries, clock
        self._lock = threading.Lock()
        # Oldest first: every answer lives TTL_SECONDS, so insertion order is also expiry order.
        self._entries: OrderedDict[tuple[str, ...], tuple[float, Any]] = OrderedDict()

    def get(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        """The kept answer for `key`, or `load()`'s (errors are not kept: Slack is asked again)."""
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and hit[0] > self.clock():
                return hit[1]
        value = load()
        with self._lock:
            now = self.clock()  # read under the lock, so later entries never expire sooner
            self._entries.pop(key, None)
            self._entries[key] = (now + TTL_SECONDS, value)
            while (
                len(self._entries) > self.max_entries
                or next(iter(self._entries.values()))[0] <= now
            ):
                self._entries.popitem(last=False)
        return value

    def kept(self) -> list[tuple[str, ...]]:
        """What is kept, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every answer (tests that change who is a manager call this)."""
        with self._lock:
            self._entries.clear()


class SlackPeople:
    """Implements bot.services.authz.People and the outsider look-ups over the Web API."""

    def __init__(self, client: WebClient, *, cache: PeopleCache) -> None:
        self.client, self.cache = client, cache

    def using(self, client: WebClient) -> SlackPeople:
        """The same answers, asked of Slack through `client` when missing."""
        return SlackPeople(client, cache=self.cache)

    def _cached(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        return self.cache.get(key, load)

    def _user(self, ref: str) -> dict[str, Any] | None:
        def load() -> dict[str, Any] | None:
            if "@" in ref:
                return _missing_as_none(
                    lambda: dict(self.client.users_lookupByEmail(email=ref)["user"])
                )
            return _missing_as_none(lambda: dict(self.client.users_info(user=ref)["user"]))

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
        user = self.user(user_id)
        return bool(
            user and (user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        )

    def channel_members(self, channel_id: str) -> frozenset[str]:
        """Members of a channel, every page; empty when sopbot cannot see it."""
        return self._cached(("members", channel_id), lambda: self._members(channel_id))

    def channel_id(self, name: str) -> str | None:
        """The ID of the channel called `name` (public, or private with sopbot in it)."""
        return self._cached(("channel-ids",), lambda: channel_ids(self.client)).get(name)

    def group_members(self, handle: str) -> frozenset[str]:
        """Members of the user group with this handle; empty when there is none."""
        group_id = self._cached(("group-ids",), lambda: group_ids(self.client)).get(handle)
        if group_id is None:
            return frozenset()
        users = lambda: self.client.usergroups_users_list(usergroup=group_id)["users"]  # noqa: E731
        return self._cached(("group", group_id), lambda: frozenset(_missing_as_none(users) or ()))

    def _members(self, channel_id: str) -> frozenset[str]:
        try:
            pages = _pages(self.client.conversations_members, channel=channel_id)
            return frozenset(member for page in pages for member in page.get("members", []))
        except SlackApiError as exc:
            if exc.response.get("error") not in NOT_FOUND:
                raise
            # A wrong MANAGER_CHANNEL must not lock managers out of everything else.
            log.warning("cannot read members of %s (%s)", channel_id, exc.response["error"])
            return frozenset()


def git_author(people: SlackPeople, user_id: str | None) -> Author:
    """Who a commit is by: users.info's display name and e-mail; the user ID when Slack does not
    say."""
    user: dict[str, Any] | None = None
    if user_id:
        try:
            user = people.user(user_id)
        except SlackApiError as exc:
            log.warning("users.info failed for the git author (%s)", exc.response.get("error"))
    profile = (user or {}).get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or (user or {}).get("name")
    email = profile.get("email") or f"{user_id or 'sopbot'}@users.noreply.slack.com"
    return Author(name=str(name or user_id or "sopbot"), email=str(email))


def external_reason(user: dict[str, Any], team: str | None) -> str:
    """Why a `user` is outside the workspace `team` (guest, another organisation); "" if not."""
    if user.get("is_ultra_restricted"):
        return "single-channel guest"
    if user.get("is_restricted"):
        return "guest"
    enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
    home = user.get("team_id")
    if team and home and home != team and enterprise != team:
        return "another organisation"
    return ""


def person_of(user: dict[str, Any], team: str | None = None) -> Person:
    """A users.info / users.lookupByEmail `user` object as a Person (`team`: the workspace's)."""
    return Person(
        external=external_reason(user, team),
        id=user["id"],
        tz=user.get("tz") or None,
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
        deleted=bool(user.get("deleted")),
        is_admin=bool(user.get("is_admin") or user.get("is_owner")),
        email=(user.get("profile") or {}).get("email"),
    )


class SlackDirectory:
    """Implements bot.services.audience.Directory with a WebClient; make one per pass."""

    def __init__(self, client: WebClient) -> None:
        self.client = client
        self._bot_user_id: str | None = None
        self._team: str | None = None
        self._channels: dict[str, str] | None = None
        self._groups: dict[str, str] | None = None
        self._everyone: dict[str, Person] | None = None
        self._asked = 0

    @property
    def bot_user_id(self) -> str:
        """The app's own user, which is in every channel it serves and is never trained."""
        if self._bot_user_id is None:
            answer = self.client.auth_test()
            self._bot_user_id = str(answer.get("user_id") or "")
            self._team = answer.get("team_id") or None
        return self._bot_user_id

    @property
    def team(self) -> str | None:
        """The workspace sopbot is installed in: people of other teams are external."""
        _ = self.bot_user_id
        return self._team

    def channel_members(self, name: str) -> list[str] | None:
        """Members of #name (public, or private with sopbot in it); None if there is none."""
        if self._channels is None:
            self._channels = channel_ids(self.client)
        channel_id = self._channels.get(name)
        if channel_id is None:
            return None
        pages = lambda: list(_pages(self.client.conversations_members, channel=channel_id))  # noqa: E731
        found = _missing_as_none(pages)
        return None if found is None else [m for page in found for m in page.get("members", [])]

    def group_members(self, handle: str) -> list[str] | None:
        """Members of @handle; None if no enabled group has that handle."""
        if self._groups is None:
            self._groups = group_ids(self.client)
        group_id = self._groups.get(handle)
        if group_id is None:
            return None
        return _missing_as_none(
            lambda: list(self.client.usergroups_users_list(usergroup=group_id).get("users", []))
        )

    def user(self, user_id: str) -> Person | None:
        """users.info as a Person (users.list once many were asked); None if there is none."""
        if self._everyone is None and self._asked >= BULK_AFTER:
            self._everyone = {
                user["id"]: person_of(user, self.team)
                for page in _pages(self.client.users_list)
                for user in page.get("members", [])
            }
        if self._everyone is not None and user_id in self._everyone:
            return self._everyone[user_id]
        # Someone users.list does not show (e.g. from another organisation) is asked alone.
        self._asked += 1
        return _missing_as_none(
            lambda: person_of(self.client.users_info(user=user_id)["user"], self.team)
        )

    def user_by_email(self, email: str) -> Person | None:
        """users.lookupByEmail as a Person; None if no active user has that address."""
        return _missing_as_none(
            lambda: person_of(self.client.users_lookupByEmail(email=email)["user"], self.team)
        )


def channel_ids(client: WebClient) -> dict[str, str]:
    """Every channel sopbot can see (public, or private with it in), by name."""
    pages = _pages(
        client.conversations_list, types="public_channel,private_channel", exclude_archived=True
    )
    return {
        channel["name"]: channel["id"] for page in pages for channel in page.get("channels", [])
    }


def group_ids(client: WebClient) -> dict[str, str]:
    """Every enabled user group, by handle."""
    return {g["handle"]: g["id"] for g in client.usergroups_list().get("usergroups", [])}


def _pages(method: Callable[..., Any], **args: Any) -> Iterator[Any]:
    """Every page of a cursor-paged Web API method."""
    cursor = None
    while True:
        page = method(limit=PAGE, cursor=cursor, **args)
        yield page
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def _missing_as_none(call: Callable[[], T]) -> T | None:
    """`call()`, or None when Slack answers that the thing does not exist."""
    try:
        return call()
    except SlackApiError as exc:
        if exc.response.get("error") in NOT_FOUND:
            return None
        raise
