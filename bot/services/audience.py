"""Who an SOP's `audience` means: channels, user groups, user IDs and e-mails resolved to people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.frontmatter import CHANNEL_RE, EMAIL_RE, HANDLE_RE, USER_ID_RE

SLACKBOT = "USLACKBOT"  # listed as a person (is_bot false), never trainable


@dataclass(frozen=True)
class Person:
    """A Slack user as training needs them."""

    id: str
    tz: str | None = None
    is_bot: bool = False
    deleted: bool = False
    is_admin: bool = False  # workspace admin or owner
    email: str | None = None
    external: str = (
        ""  # why outside the team: "guest", "single-channel guest", "another organisation"
    )


class Directory(Protocol):
    """The few Slack look-ups resolution needs; None means "no such thing"."""

    bot_user_id: str

    def channel_members(self, name: str) -> list[str] | None:
        """Members of the channel called `name` (without #)."""
        ...

    def group_members(self, handle: str) -> list[str] | None:
        """Members of the user group with this handle (without @)."""
        ...

    def user(self, user_id: str) -> Person | None:
        """users.info."""
        ...

    def user_by_email(self, email: str) -> Person | None:
        """users.lookupByEmail."""
        ...


@dataclass(frozen=True)
class Unresolved:
    """An audience entry that named nobody, and why."""

    entry: str
    reason: str

    def __str__(self) -> str:
        return f"{self.entry}: {self.reason}"


@dataclass(frozen=True)
class Audience:
    """The people an SOP trains (unique, sorted by ID) and the entries that named nobody."""

    people: tuple[Person, ...]
    unresolved: tuple[Unresolved, ...]
    skipped: tuple[Unresolved, ...] = ()  # guests and other organisations the policy keeps out


def admitted(audience: Audience, *, policy: str) -> Audience:
    """The audience without the external people EXTERNAL_PEOPLE=`policy` keeps out.

    Under `listed` and `allow` someone an SOP names is in; under `deny` no guest or member of
    another organisation is, and each is listed in `skipped` with why.
    """
    if policy != "deny":
        return audience
    kept = tuple(p for p in audience.people if not p.external)
    skipped = tuple(
        Unresolved(p.id, f"{p.external}; EXTERNAL_PEOPLE=deny")
        for p in audience.people
        if p.external
    )
    return Audience(kept, audience.unresolved, audience.skipped + skipped)


class Resolver:
    """Resolves audiences for one pass, asking Slack about each entry and person only once."""

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._people: dict[str, Person | None] = {}
        self._entries: dict[str, tuple[list[Person], Unresolved | None]] = {}

    def resolve(self, entries: Sequence[str]) -> Audience:
        """Every trainable person the entries name; one bad entry never stops the rest."""
        people: dict[str, Person] = {}
        unresolved: list[Unresolved] = []
        for entry in entries:
            if entry not in self._entries:
                self._entries[entry] = self._resolve_entry(entry)
            found, problem = self._entries[entry]
            people.update((p.id, p) for p in found)
            if problem is not None:
                unresolved.append(problem)
        return Audience(tuple(people[k] for k in sorted(people)), tuple(unresolved))

    def person(self, ref: str) -> Person | None:
        """A user ID or e-mail (an SOP's owner) as an active person, or None."""
        if EMAIL_RE.match(ref):
            found = self.directory.user_by_email(ref)
            if found is not None:
                self._people[found.id] = found
        else:
            found = self._user(ref)
        return found if found is not None and not found.deleted else None

    def _user(self, user_id: str) -> Person | None:
        if user_id not in self._people:
            self._people[user_id] = self.directory.user(user_id)
        return self._people[user_id]

    def _trainable(self, person: Person | None) -> bool:
        return (
            person is not None
            and not person.is_bot
            and not person.deleted
            and person.id not in (SLACKBOT, self.directory.bot_user_id)
        )

    def _members(self, ids: list[str]) -> list[Person]:
        # Channels and groups include bots and people who left: they are skipped quietly.
        return [p for p in (self._user(i) for i in ids) if self._trainable(p) and p is not None]

    def _resolve_entry(self, entry: str) -> tuple[list[Person], Unresolved | None]:
        if CHANNEL_RE.match(entry):
            members = self.directory.channel_members(entry[1:])
            if members is None:
                return [], Unresolved(entry, "no channel by that name that sopbot can see")
            return self._members(members), None
        if HANDLE_RE.match(entry):
            members = self.directory.group_members(entry[1:])
            if members is None:
                return [], Unresolved(entry, "no user group with that handle")
            return self._members(members), None
        if USER_ID_RE.match(entry):
            return self._named(entry, self._user(entry), "no Slack user with that ID")
        if EMAIL_RE.match(entry):
            person = self.directory.user_by_email(entry)
            if person is not None:
                self._people[person.id] = person
            return self._named(entry, person, "no active Slack user with that e-mail")
        return [], Unresolved(entry, "not a #channel, @handle, user ID or e-mail")

    def _named(
        self, entry: str, person: Person | None, missing: str
    ) -> tuple[list[Person], Unresolved | None]:
        # Someone named on purpose who cannot be trained is worth telling the owner about.
        if person is None:
            return [], Unresolved(entry, missing)
        if person.deleted:
            return [], Unresolved(entry, "deactivated")
        if not self._trainable(person):
            return [], Unresolved(entry, "a bot, not a person")
        return [person], None
