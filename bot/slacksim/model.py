"""Records of the simulated workspace, each able to render itself in Slack's API shape."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    """A member of the workspace (a person, a bot user or Slackbot)."""

    id: str
    name: str
    real_name: str
    display_name: str = ""
    email: str | None = None
    title: str = ""
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/Berlin"
    tz_label: str = "Central European Time"
    tz_offset: int = 3600
    bot_id: str | None = None
    app_id: str | None = None
    updated: int = 1700000000
    is_restricted: bool = False  # a guest (multi-channel); single-channel guests have both
    is_ultra_restricted: bool = False
    team_id: str | None = None  # their own organisation's team; None: the workspace's

    def home(self, team_id: str) -> str:
        """The team this person belongs to: the workspace's, or another organisation's."""
        return self.team_id or team_id

    def to_api(self, team_id: str) -> dict[str, Any]:
        """The `user` object of users.info / users.list."""
        team_id = self.home(team_id)
        first, _, last = self.real_name.partition(" ")
        profile: dict[str, Any] = {
            "title": self.title,
            "phone": "",
            "skype": "",
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_expiration": 0,
            "avatar_hash": "g" + self.id[-6:].lower(),
            "first_name": first,
            "last_name": last,
            "image_48": f"https://avatars.example.invalid/{self.id}_48.png",
            "image_72": f"https://avatars.example.invalid/{self.id}_72.png",
            "team": team_id,
        }
        # Slack only shows e-mail addresses of people, never of bot users.
        if self.email and not self.is_bot:
            profile["email"] = self.email
        if self.bot_id:
            profile.update(bot_id=self.bot_id, api_app_id=self.app_id or "", always_active=True)
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_restricted": self.is_restricted or self.is_ultra_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": self.updated,
            "is_email_confirmed": self.email is not None,
            "who_can_share_contact_card": "EVERYONE",
        }


@dataclass
class Channel:
    """A public or private channel, a DM (IM) or a group DM (MPIM)."""

    id: str
    name: str
    members: list[str] = field(default_factory=list)
    is_private: bool = False
    is_archived: bool = False
    is_im: bool = False
    is_mpim: bool = False
    is_general: bool = False
    created: int = 1700000000
    creator: str = ""
    topic: str = ""
    purpose: str = ""
    im_user: str | None = None  # the person on the other side of a DM
    connected_teams: list[str] = field(default_factory=list)  # Slack Connect: other orgs' teams

    @property
    def is_public(self) -> bool:
        return not (self.is_private or self.is_im or self.is_mpim)

    def to_api(self, *, team_id: str, viewer: str, with_num_members: bool = False) -> dict:
        """The `channel` object of conversations.info / conversations.list."""
        if self.is_im:
            return {
                "id": self.id,
                "created": self.created,
                "is_archived": self.is_archived,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": team_id,
                "updated": self.created * 1000,
                "user": self.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": self.is_public,
            "is_group": self.is_private and not self.is_mpim,
            "is_im": False,
            "is_mpim": self.is_mpim,
            "is_private": self.is_private or self.is_mpim,
            "created": self.created,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": bool(self.connected_teams),
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": team_id,
            "updated": self.created * 1000,
            "parent_conversation": None,
            "creator": self.creator,
            "is_ext_shared": bool(self.connected_teams),
            "shared_team_ids": [team_id, *self.connected_teams],
            "is_member": viewer in self.members,
            "topic": {"value": self.topic, "creator": self.creator, "last_set": self.created},
            "purpose": {"value": self.purpose, "creator": self.creator, "last_set": self.created},
            "previous_names": [],
        }
        if with_num_members:
            data["num_members"] = len(self.members)
        return data


@dataclass
class UserGroup:
    """A user group such as @support-team, mentioned as <!subteam^S…>."""

    id: str
    handle: str
    name: str
    users: list[str] = field(default_factory=list)
    description: str = ""
    created_by: str = ""
    disabled: bool = False

    def to_api(self, *, team_id: str, include_users: bool, include_count: bool) -> dict:
        """One entry of usergroups.list."""
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": team_id,
            "is_usergroup": True,
            "is_subteam": True,
            "name": self.name,
            "description": self.description,
            "handle": self.handle,
            "is_external": False,
            "date_create": 1700000000,
            "date_update": 1700000000,
            "date_delete": 1700000500 if self.disabled else 0,
            "auto_type": None,
            "auto_provision": False,
            "enterprise_subteam_id": "",
            "created_by": self.created_by,
            "updated_by": self.created_by,
            "deleted_by": None,
            "prefs": {"channels": [], "groups": []},
        }
        if include_users:
            data["users"] = list(self.users)
        if include_count:
            data["user_count"] = len(self.users)
        return data


@dataclass
class Message:
    """A message in a channel; thread replies carry the parent's ts in `thread_ts`."""

    ts: str
    channel: str
    text: str = ""
    user: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    team: str = ""
    blocks: list[dict] | None = None
    attachments: list[dict] | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    metadata: dict | None = None
    files: list[dict] | None = None
    subtype: str | None = None
    edited: dict | None = None
    reply_ts: list[str] = field(default_factory=list)
    reply_users: list[str] = field(default_factory=list)
    deleted: bool = False

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, *, include_metadata: bool = True) -> dict:
        """The message object of conversations.history and chat.postMessage."""
        data: dict[str, Any] = {"type": "message"}
        if self.subtype:
            data["subtype"] = self.subtype
        data.update(ts=self.ts, text=self.text, team=self.team)
        if self.user:
            data["user"] = self.user
        if self.bot_id:
            data.update(bot_id=self.bot_id, app_id=self.app_id)
        if self.blocks is not None:
            data["blocks"] = copy.deepcopy(self.blocks)
        if self.attachments:
            data["attachments"] = copy.deepcopy(self.attachments)
        if self.files:
            data.update(files=copy.deepcopy(self.files), upload=True, display_as_bot=False)
        if self.edited:
            data["edited"] = dict(self.edited)
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        if self.is_reply and self.parent_user_id:
            data["parent_user_id"] = self.parent_user_id
        if self.reply_ts:
            data.update(
                reply_count=len(self.reply_ts),
                reply_users_count=len(self.reply_users),
                latest_reply=self.reply_ts[-1],
                reply_users=list(self.reply_users),
                is_locked=False,
                subscribed=False,
            )
        if include_metadata and self.metadata is not None:
            data["metadata"] = copy.deepcopy(self.metadata)
        return data


@dataclass
class Ephemeral:
    """A message only `user` sees; Slack never stores it, the fake does so tests can read it."""

    ts: str
    channel: str
    user: str
    text: str = ""
    blocks: list[dict] | None = None
    thread_ts: str | None = None
    source: str = "api"  # api | ack | response_url
    deleted: bool = False

    def to_api(self) -> dict:
        """A message-like dict; `user` is the recipient, not the author."""
        data = {
            "type": "message",
            "ts": self.ts,
            "channel": self.channel,
            "user": self.user,
            "text": self.text,
            "is_ephemeral": True,
            "source": self.source,
        }
        if self.blocks is not None:
            data["blocks"] = copy.deepcopy(self.blocks)
        if self.thread_ts:
            data["thread_ts"] = self.thread_ts
        return data


@dataclass
class View:
    """A modal or Home tab as Slack keeps it (the bot's view plus Slack's bookkeeping)."""

    id: str
    user: str
    type: str
    spec: dict  # the view as the bot sent it, ids filled in
    hash: str
    root_view_id: str | None = None
    previous_view_id: str | None = None
    state: dict = field(default_factory=dict)
    closed: bool = False

    def to_api(self, *, team_id: str, app_id: str, bot_id: str) -> dict:
        """The `view` object of views.* responses and interaction payloads."""
        spec = copy.deepcopy(self.spec)
        return {
            "id": self.id,
            "team_id": team_id,
            "type": self.type,
            "blocks": spec.get("blocks", []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "state": {"values": copy.deepcopy(self.state)},
            "hash": self.hash,
            "title": spec.get("title"),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": spec.get("close"),
            "submit": spec.get("submit"),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id or self.id,
            "app_id": app_id,
            "external_id": spec.get("external_id", ""),
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }


@dataclass
class UploadedFile:
    """A file announced by files.getUploadURLExternal and filled by the upload POST."""

    id: str
    filename: str
    length: int
    user: str
    created: int
    content: bytes | None = None
    title: str = ""
    alt_txt: str | None = None
    completed: bool = False

    def to_api(self, *, team_id: str, base_url: str) -> dict:
        """The file object shown in a file-share message."""
        return {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.filename,
            "title": self.title or self.filename,
            "mimetype": "application/octet-stream",
            "filetype": self.filename.rsplit(".", 1)[-1] if "." in self.filename else "binary",
            "user": self.user,
            "user_team": team_id,
            "size": len(self.content or b""),
            "mode": "hosted",
            "is_external": False,
            "is_public": True,
            "url_private": f"{base_url}files/{self.id}/{self.filename}",
        }
