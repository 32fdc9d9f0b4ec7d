"""Who may use sopbot and which SOPs they may see: the workspace check and the outsider policy.

sopbot serves the one workspace it is installed in. Its own people see every SOP. People from
outside it (guests, and members of other organisations in Slack Connect channels) see what
EXTERNAL_PEOPLE says: nothing (`deny`), only the SOPs whose audience names them (`listed`),
or everything, like staff (`allow`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from bot.config import ExternalPeople as Policy
from bot.core.frontmatter import CHANNEL_RE, EMAIL_RE, HANDLE_RE, USER_ID_RE
from bot.core.model import Sop

__all__ = ["Audiences", "Policy", "Viewer", "may_see", "refused", "same_install", "visible"]


@dataclass(frozen=True)
class Viewer:
    """The person behind one request: external (guest or another organisation) or staff."""

    user_id: str
    external: bool = False
    reason: str = ""  # why external: "guest", "single-channel guest", "another organisation"


class Audiences(Protocol):
    """The look-ups that tell whether an audience entry names a person (Slack's answers)."""

    def email_of(self, user_id: str) -> str | None:
        """The person's e-mail address, if Slack shows it."""
        ...

    def in_channel(self, name: str, user_id: str) -> bool:
        """Whether the person is a member of the channel called `name` (without #)."""
        ...

    def in_group(self, handle: str, user_id: str) -> bool:
        """Whether the person is a member of the user group with this handle (without @)."""
        ...


class HasSop(Protocol):
    """A catalog entry, or anything else that carries an SOP."""

    @property
    def sop(self) -> Sop: ...


E = TypeVar("E", bound=HasSop)


def same_install(
    *,
    installed_team: str | None,
    installed_enterprise: str | None,
    team: str | None,
    enterprise: str | None,
) -> bool:
    """Whether a request's installing workspace (and organisation) is the one sopbot serves."""
    if installed_team is None:
        # An organisation-wide install has no one workspace: the organisation must match.
        return installed_enterprise is not None and enterprise == installed_enterprise
    if team != installed_team:
        return False
    return enterprise is None or enterprise == installed_enterprise


def refused(viewer: Viewer, policy: Policy) -> bool:
    """Whether the person may not use sopbot at all."""
    return viewer.external and policy == "deny"


def sees_all(viewer: Viewer, policy: Policy) -> bool:
    """Whether the person sees every SOP, as staff do."""
    return not viewer.external or policy == "allow"


def names(entry: str, user_id: str, audiences: Audiences) -> bool:
    """Whether one audience entry (`#channel`, `@group`, user ID or e-mail) names the person."""
    if USER_ID_RE.match(entry):
        return entry == user_id
    if EMAIL_RE.match(entry):
        email = audiences.email_of(user_id)
        return email is not None and email.casefold() == entry.casefold()
    if CHANNEL_RE.match(entry):
        return audiences.in_channel(entry[1:], user_id)
    if HANDLE_RE.match(entry):
        return audiences.in_group(entry[1:], user_id)
    return False


def may_see(sop: Sop, *, viewer: Viewer, policy: Policy, audiences: Audiences) -> bool:
    """Whether the person may see, run and give feedback on this SOP."""
    if sees_all(viewer, policy):
        return True
    if policy == "deny":
        return False
    # Someone the cast names may take its steps, so may see it. User IDs first: they cost no
    # look-up, and most outsiders are named that way.
    named = [*sop.audience, *(entry for _, entries in sop.cast for entry in entries)]
    ordered: Sequence[str] = sorted(named, key=lambda e: not USER_ID_RE.match(e))
    return any(names(entry, viewer.user_id, audiences) for entry in ordered)


def visible(
    entries: Iterable[E], *, viewer: Viewer, policy: Policy, audiences: Audiences
) -> tuple[E, ...]:
    """The entries the person may see, in their order."""
    entries = tuple(entries)
    if sees_all(viewer, policy):
        return entries
    return tuple(
        e for e in entries if may_see(e.sop, viewer=viewer, policy=policy, audiences=audiences)
    )
