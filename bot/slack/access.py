"""The rule of bot/services/access.py, asked of Slack for one request.

Whether a person is external is decided per request: first from the signed payload (the
person's own team, `user.team_id` in interactions and `user_team` in message events), then
from users.info (`team_id`, `is_restricted`, `is_ultra_restricted`), which SlackPeople keeps
for a minute. Slash commands and app_home_opened carry no person's team, so for them
users.info decides. Audience membership is asked of Slack too (a minute's cache of each
channel's and group's members); the SOP's audience itself is always the current revision's.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.services import access
from bot.services.access import Viewer
from bot.services.catalog import Snapshot
from bot.services.runs import RunState
from bot.slack.payload import Caller
from bot.slack.people import SlackPeople


@dataclass(frozen=True)
class Installation:
    """The workspace (and organisation) the bot token belongs to, from auth.test."""

    team_id: str | None
    enterprise_id: str | None
    name: str

    def is_ours(self, team: str | None) -> bool:
        """Whether a person's team (a workspace, or an Enterprise Grid organisation) is ours."""
        return team is not None and team in (self.team_id, self.enterprise_id)


_lock = threading.Lock()
_installations: dict[tuple[str, str], Installation] = {}


def installation(client: WebClient) -> Installation:
    """auth.test, asked once per process and token: a token's workspace never changes."""
    key = (client.base_url, client.token or "")
    with _lock:
        found = _installations.get(key)
    if found is None:
        answer = client.auth_test()
        found = Installation(
            team_id=answer.get("team_id") or None,
            enterprise_id=answer.get("enterprise_id") or None,
            name=str(answer.get("team") or ""),
        )
        with _lock:
            _installations[key] = found
    return found


class SlackAudiences:
    """Implements bot.services.access.Audiences with SlackPeople's one-minute answers."""

    def __init__(self, people: SlackPeople) -> None:
        self.people = people

    def email_of(self, user_id: str) -> str | None:
        """users.info's e-mail address."""
        user = self.people.user(user_id)
        return ((user or {}).get("profile") or {}).get("email")

    def in_channel(self, name: str, user_id: str) -> bool:
        """conversations.members of the channel with this name."""
        channel_id = self.people.channel_id(name)
        return channel_id is not None and user_id in self.people.channel_members(channel_id)

    def in_group(self, handle: str, user_id: str) -> bool:
        """usergroups.users.list of the group with this handle."""
        return user_id in self.people.group_members(handle)


class Access:
    """EXTERNAL_PEOPLE for one Slack client: who is external, and what they may see."""

    def __init__(self, *, runtime: Runtime, client: WebClient, people: SlackPeople) -> None:
        self.runtime = runtime
        self.client = client
        self.people = people
        self.audiences = SlackAudiences(people)

    @property
    def policy(self) -> access.Policy:
        """EXTERNAL_PEOPLE."""
        return self.runtime.settings.external_people

    @property
    def workspace(self) -> Installation:
        """The workspace sopbot serves."""
        return installation(self.client)

    def viewer(self, caller: Caller) -> Viewer:
        """The person as the policy sees them; a Slack error is raised, never guessed."""
        if self.policy == "allow":
            return Viewer(caller.user_id)  # treated as staff: nothing to ask Slack
        ours = self.workspace
        if caller.team is not None and not ours.is_ours(caller.team):
            return Viewer(caller.user_id, external=True, reason="another organisation")
        user = self.people.user(caller.user_id)
        if user is None:
            return Viewer(caller.user_id, external=True, reason="not in this workspace")
        enterprise = (user.get("enterprise_user") or {}).get("enterprise_id")
        if not (ours.is_ours(user.get("team_id")) or ours.is_ours(enterprise)):
            return Viewer(caller.user_id, external=True, reason="another organisation")
        if user.get("is_ultra_restricted"):
            return Viewer(caller.user_id, external=True, reason="single-channel guest")
        if user.get("is_restricted"):
            return Viewer(caller.user_id, external=True, reason="guest")
        return Viewer(caller.user_id)

    def refused(self, viewer: Viewer) -> bool:
        """Whether the person may not use sopbot at all (EXTERNAL_PEOPLE=deny)."""
        return access.refused(viewer, self.policy)

    def sees_all(self, viewer: Viewer) -> bool:
        """Whether the person sees every SOP, as staff do."""
        return access.sees_all(viewer, self.policy)

    def snapshot(self, viewer: Viewer) -> Snapshot:
        """The live SOPs the person may see (all of them for staff)."""
        with self.runtime.database.session() as session:
            everything = self.runtime.catalog.snapshot(session)
        # Slack is asked outside the session: no look-up holds a database transaction open.
        return self.restrict(everything, viewer)

    def restrict(self, snapshot: Snapshot, viewer: Viewer) -> Snapshot:
        """The SOPs of `snapshot` the person may see (all of them for staff)."""
        entries = access.visible(
            snapshot.entries, viewer=viewer, policy=self.policy, audiences=self.audiences
        )
        return snapshot.restricted(entries)

    def runs(
        self, unfinished: list[RunState], snapshot: Snapshot, viewer: Viewer
    ) -> list[RunState]:
        """The person's runs whose SOP is in `snapshot`, the SOPs they may see (all for staff)."""
        if self.sees_all(viewer):
            return unfinished
        return [run for run in unfinished if snapshot.get(run.slug) is not None]

    def may_open(self, viewer: Viewer, slug: str) -> bool:
        """Whether the person may see, run and give feedback on the live SOP with this slug."""
        if self.sees_all(viewer):
            return True
        with self.runtime.database.session() as session:
            entry = self.runtime.catalog.snapshot(session).get(slug)
        return entry is not None and access.may_see(
            entry.sop, viewer=viewer, policy=self.policy, audiences=self.audiences
        )
