"""The simulated workspace: people, channels, messages and views behind one lock."""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from bot.slacksim.clock import Clock, system_clock
from bot.slacksim.model import Channel, Ephemeral, Message, UploadedFile, User, UserGroup, View

TEAM_ID = "T0SOPBOT1"
APP_ID = "A0SOPBOT01"
BOT_USER_ID = "U0SOPBOT00"
BOT_ID = "B0SOPBOT00"


class Workspace:
    """One Slack team as the Web API sees it; every method is safe to call from any thread."""

    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        team_name: str = "SOP Team",
        domain: str = "sopteam",
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        app_id: str = APP_ID,
        clock: Clock = system_clock,
        public_write: bool = True,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.domain = domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.clock = clock
        # True models the chat:write.public scope: post to public channels without joining.
        self.public_write = public_write
        self.lock = threading.RLock()
        # Notified on every change so wait_for() wakes up instead of sleeping blindly.
        self.changed = threading.Condition(self.lock)
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, UserGroup] = {}
        self.views: dict[str, View] = {}
        self.homes: dict[str, str] = {}  # user -> view id
        self.modal_stacks: dict[str, list[str]] = defaultdict(list)  # user -> view ids, root first
        self.files: dict[str, UploadedFile] = {}
        self.triggers: dict[str, Any] = {}  # trigger_id -> interactions.Trigger
        self.response_urls: dict[str, Any] = {}  # token -> interactions.ResponseUrl
        self.view_errors: dict[str, dict] = {}  # view id -> last response_action=errors
        self.generation = 0  # bumped on every change; wait_for() watches it
        self._messages: dict[str, list[Message]] = defaultdict(list)
        self._by_ts: dict[str, Message] = {}
        self._ephemerals: dict[str, Ephemeral] = {}
        self._last_us = 0
        self._counters: dict[str, itertools.count] = defaultdict(lambda: itertools.count(1))

    # -- identity -------------------------------------------------------------------------

    def now(self) -> float:
        return self.clock()

    def next_ts(self) -> str:
        """A message timestamp, unique and increasing across the whole workspace."""
        with self.lock:
            us = max(int(self.clock() * 1_000_000), self._last_us + 1)
            self._last_us = us
            return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        """A fresh ID like `D0SIM00001`; deterministic so transcripts are stable."""
        with self.lock:
            return f"{prefix}0SIM{next(self._counters[prefix]):05d}"

    def notify(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    # -- lookups (by ID or by name) -------------------------------------------------------

    def user(self, ref: str) -> User | None:
        """A user by ID, name (`maria`) or `@maria`."""
        with self.lock:
            if ref in self.users:
                return self.users[ref]
            name = ref.removeprefix("@")
            return next((u for u in self.users.values() if u.name == name), None)

    def user_id(self, name: str) -> str:
        """The ID of a user given by name; KeyError if there is none."""
        found = self.user(name)
        if found is None:
            raise KeyError(f"no user named {name!r}")
        return found.id

    def channel(self, ref: str) -> Channel | None:
        """A conversation by ID, name (`support`) or `#support`."""
        with self.lock:
            if ref in self.channels:
                return self.channels[ref]
            name = ref.removeprefix("#")
            return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def channel_id(self, name: str) -> str:
        """The ID of a channel given by name; KeyError if there is none."""
        found = self.channel(name)
        if found is None:
            raise KeyError(f"no channel named {name!r}")
        return found.id

    def usergroup_id(self, handle: str) -> str:
        """The ID of a user group given by handle (`support-team`)."""
        with self.lock:
            handle = handle.removeprefix("@")
            for group in self.usergroups.values():
                if handle in (group.handle, group.id):
                    return group.id
        raise KeyError(f"no user group with handle {handle!r}")

    def im_between(self, user_ids: list[str]) -> Channel | None:
        """The DM or group DM whose members are exactly these users."""
        wanted = set(user_ids)
        with self.lock:
            for ch in self.channels.values():
                if (ch.is_im or ch.is_mpim) and set(ch.members) == wanted:
                    return ch
        return None

    def bot_im(self, user_id: str) -> Channel:
        """The DM between the app's bot user and `user_id`, created on first use."""
        with self.lock:
            found = self.im_between([self.bot_user_id, user_id])
            return found or self.open_im([self.bot_user_id, user_id])

    # -- building the workspace -------------------------------------------------------------

    def add_user(self, *, id: str | None = None, name: str, real_name: str = "", **fields) -> User:
        with self.lock:
            user = User(id=id or self.new_id("U"), name=name, real_name=real_name or name, **fields)
            self.users[user.id] = user
            return user

    def add_channel(
        self,
        *,
        id: str | None = None,
        name: str,
        members: Sequence[str] = (),
        is_private: bool = False,
        **fields,
    ) -> Channel:
        with self.lock:
            prefix = "G" if is_private else "C"
            channel = Channel(
                id=id or self.new_id(prefix),
                name=name,
                members=list(members),
                is_private=is_private,
                creator=fields.pop("creator", next(iter(members), "")),
                **fields,
            )
            self.channels[channel.id] = channel
            return channel

    def add_usergroup(
        self, *, id: str | None = None, handle: str, name: str, users: Sequence[str] = ()
    ) -> UserGroup:
        with self.lock:
            group = UserGroup(
                id=id or self.new_id("S"), handle=handle, name=name, users=list(users)
            )
            self.usergroups[group.id] = group
            return group

    def join(self, channel: str, user: str) -> None:
        with self.lock:
            ch = self.channels.get(channel) or self.channels[self.channel_id(channel)]
            if user not in ch.members:
                ch.members.append(user)
            self.notify()

    def leave(self, channel: str, user: str) -> None:
        """Take `user` out of a channel, as leaving it or being removed in Slack does."""
        with self.lock:
            ch = self.channels.get(channel) or self.channels[self.channel_id(channel)]
            if user in ch.members:
                ch.members.remove(user)
            self.notify()

    def open_im(self, user_ids: list[str], *, id: str | None = None) -> Channel:
        """Create a DM (two members) or group DM (more) unless it exists."""
        with self.lock:
            existing = self.im_between(user_ids)
            if existing:
                return existing
            members = list(dict.fromkeys(user_ids))
            is_im = len(members) == 2
            if is_im:
                other = next((u for u in members if u != self.bot_user_id), members[1])
                ch = Channel(id=id or self.new_id("D"), name=other, is_im=True, im_user=other)
            else:
                ch = Channel(
                    id=id or self.new_id("G"),
                    name="mpdm-" + "--".join(self.users[u].name for u in members) + "-1",
                    is_mpim=True,
                )
            ch.members = members
            ch.created = int(self.clock())
            self.channels[ch.id] = ch
            self.notify()
            return ch

    # -- messages ---------------------------------------------------------------------------

    def add_message(self, message: Message) -> Message:
        """Store a message and keep the parent's reply bookkeeping in step."""
        with self.lock:
            self._messages[message.channel].append(message)
            self._by_ts[message.ts] = message
            if message.is_reply:
                parent = self._by_ts.get(message.thread_ts)
                if parent is not None and parent.channel == message.channel and not parent.is_reply:
                    parent.thread_ts = parent.ts
                    parent.reply_ts.append(message.ts)
                    author = message.user or message.bot_id or ""
                    if author not in parent.reply_users:
                        parent.reply_users.append(author)
                    message.parent_user_id = parent.user
            self.notify()
            return message

    def message(self, channel: str, ts: str) -> Message | None:
        with self.lock:
            found = self._by_ts.get(ts)
            if found is None or found.channel != channel or found.deleted:
                return None
            return found

    def find_message(self, ts: str) -> Message | None:
        """A live message by ts alone (ts values are unique across this workspace)."""
        with self.lock:
            found = self._by_ts.get(ts)
            return None if found is None or found.deleted else found

    def channel_messages(self, channel: str) -> list[Message]:
        """Every live message in a channel, replies included, oldest first."""
        with self.lock:
            return [m for m in self._messages.get(channel, []) if not m.deleted]

    def delete_message(self, message: Message) -> None:
        with self.lock:
            message.deleted = True
            parent = self._by_ts.get(message.thread_ts or "")
            if message.is_reply and parent is not None and message.ts in parent.reply_ts:
                parent.reply_ts.remove(message.ts)
            self.notify()

    # -- ephemeral messages -------------------------------------------------------------------

    def add_ephemeral(self, **fields: Any) -> Ephemeral:
        with self.lock:
            ephemeral = Ephemeral(ts=self.next_ts(), **fields)
            self._ephemerals[ephemeral.ts] = ephemeral
            self.notify()
            return ephemeral

    def ephemeral(self, ts: str) -> Ephemeral | None:
        with self.lock:
            found = self._ephemerals.get(ts)
            return None if found is None or found.deleted else found

    def ephemerals_for(self, user: str) -> list[Ephemeral]:
        with self.lock:
            return [e for e in self._ephemerals.values() if e.user == user and not e.deleted]
