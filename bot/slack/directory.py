"""The audience Directory over the Slack Web API: paged look-ups, cached for one pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services.audience import Person

PAGE = 200
# users.info calls in one pass before the rest come from users.list, read whole once: Slack
# allows users.info about 100 times a minute, so a 2,000-member channel would take 20 minutes
# one by one, while users.list gives 200 people a call (10 calls).
BULK_AFTER = 50
# "Does not exist" answers; anything else (rate limits, outages) fails the pass, which the
# next scheduled pass repeats.
NOT_FOUND = frozenset(
    {"channel_not_found", "user_not_found", "users_not_found", "no_such_subteam", "not_in_channel"}
)


def person_of(user: dict[str, Any]) -> Person:
    """A users.info / users.lookupByEmail `user` object as a Person."""
    return Person(
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
        self._channels: dict[str, str] | None = None
        self._groups: dict[str, str] | None = None
        self._everyone: dict[str, Person] | None = None
        self._asked = 0

    @property
    def bot_user_id(self) -> str:
        """The app's own user, which is in every channel it serves and is never trained."""
        if self._bot_user_id is None:
            self._bot_user_id = str(self.client.auth_test().get("user_id") or "")
        return self._bot_user_id

    def channel_members(self, name: str) -> list[str] | None:
        """Members of #name (public, or private with sopbot in it); None if there is none."""
        if self._channels is None:
            self._channels = {
                channel["name"]: channel["id"]
                for page in _pages(
                    self.client.conversations_list,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                )
                for channel in page.get("channels", [])
            }
        channel_id = self._channels.get(name)
        if channel_id is None:
            return None
        return _missing_as_none(
            lambda: [
                member
                for page in _pages(self.client.conversations_members, channel=channel_id)
                for member in page.get("members", [])
            ]
        )

    def group_members(self, handle: str) -> list[str] | None:
        """Members of @handle; None if no enabled group has that handle."""
        if self._groups is None:
            answer = self.client.usergroups_list()
            self._groups = {g["handle"]: g["id"] for g in answer.get("usergroups", [])}
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
                user["id"]: person_of(user)
                for page in _pages(self.client.users_list)
                for user in page.get("members", [])
            }
        if self._everyone is not None and user_id in self._everyone:
            return self._everyone[user_id]
        # Someone users.list does not show (e.g. from another organisation) is asked alone.
        self._asked += 1
        return _missing_as_none(lambda: person_of(self.client.users_info(user=user_id)["user"]))

    def user_by_email(self, email: str) -> Person | None:
        """users.lookupByEmail as a Person; None if no active user has that address."""
        return _missing_as_none(
            lambda: person_of(self.client.users_lookupByEmail(email=email)["user"])
        )


def _pages(method: Callable[..., Any], **args: Any) -> Iterator[Any]:
    """Every page of a cursor-paged Web API method."""
    cursor = None
    while True:
        page = method(limit=PAGE, cursor=cursor, **args)
        yield page
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def _missing_as_none(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except SlackApiError as exc:
        if exc.response.get("error") in NOT_FOUND:
            return None
        raise
