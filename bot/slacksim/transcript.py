"""What the bot did, for tests to read: recorded calls and views of the workspace."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.slacksim.api_common import render
from bot.slacksim.workspace import Workspace

T = TypeVar("T")


@dataclass(frozen=True)
class Call:
    """One request the fake answered (Web API method, `upload` or `response_url`)."""

    method: str
    args: dict[str, Any]
    response: dict[str, Any]
    at: float
    status: int = 200
    dropped: bool = False  # the connection was cut instead of answering

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok")) and not self.dropped

    @property
    def error(self) -> str | None:
        return None if self.ok else self.response.get("error")


class TranscriptQueries:
    """Read-only helpers over the workspace; FakeSlack inherits them."""

    ws: Workspace
    calls: list[Call]

    def record(self, call: Call) -> None:
        with self.ws.lock:
            self.calls.append(call)
        self.ws.notify()

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of `method`, oldest first."""
        with self.ws.lock:
            return [c for c in self.calls if c.method == method]

    def clear_calls(self) -> None:
        with self.ws.lock:
            self.calls.clear()

    def _channel(self, ref: str) -> str:
        ws = self.ws
        channel = ws.channel(ref)
        if channel is not None:
            return channel.id
        person = ws.user(ref)
        if person is not None:
            return ws.bot_im(person.id).id
        raise KeyError(f"no channel or user {ref!r}")

    def messages(self, channel: str, *, include_replies: bool = False) -> list[dict]:
        """Messages in a channel (ID, name or `#name`), oldest first, metadata included."""
        with self.ws.lock:
            found = self.ws.channel_messages(self._channel(channel))
            return [render(self.ws, m) for m in found if include_replies or not m.is_reply]

    def thread(self, channel: str, ts: str) -> list[dict]:
        """A thread: the parent, then its replies, oldest first."""
        with self.ws.lock:
            channel_id = self._channel(channel)
            return [
                render(self.ws, m)
                for m in self.ws.channel_messages(channel_id)
                if m.ts == ts or m.thread_ts == ts
            ]

    def dms(self, user: str, *, include_replies: bool = False) -> list[dict]:
        """Messages in the DM between the bot and `user` (ID or name), oldest first."""
        with self.ws.lock:
            person = self.ws.user(user)
            if person is None:
                raise KeyError(f"no user {user!r}")
            channel = self.ws.im_between([self.ws.bot_user_id, person.id])
            if channel is None:
                return []
            return self.messages(channel.id, include_replies=include_replies)

    def ephemerals(self, user: str) -> list[dict]:
        """Ephemeral messages shown to `user`, oldest first; `user` in each is the recipient."""
        with self.ws.lock:
            person = self.ws.user(user)
            if person is None:
                raise KeyError(f"no user {user!r}")
            return [e.to_api() for e in self.ws.ephemerals_for(person.id)]

    def view(self, view_id: str) -> dict | None:
        """A view as Slack would include it in a payload (current hash and state)."""
        with self.ws.lock:
            view = self.ws.views.get(view_id)
            if view is None:
                return None
            ws = self.ws
            return view.to_api(team_id=ws.team_id, app_id=ws.app_id, bot_id=ws.bot_id)

    def home(self, user: str) -> dict | None:
        """The Home tab last published for `user`."""
        with self.ws.lock:
            person = self.ws.user(user)
            return self.view(self.ws.homes.get(person.id, "")) if person else None

    def open_view(self, user: str) -> dict | None:
        """The modal `user` is looking at (top of the stack), if any."""
        with self.ws.lock:
            person = self.ws.user(user)
            stack = self.ws.modal_stacks.get(person.id, []) if person else []
            return self.view(stack[-1]) if stack else None

    def view_errors(self, view_id: str) -> dict:
        """The errors a response_action=errors answer put under the inputs of a view."""
        with self.ws.lock:
            return dict(self.ws.view_errors.get(view_id, {}))

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 20.0, *, what: str = "condition"
    ) -> T:
        """Wait until `predicate()` is truthy and return its value; TimeoutError otherwise."""
        # The default is generous on purpose: a wait returns as soon as the predicate holds, and
        # a loaded CI machine can take seconds for what takes milliseconds here.
        deadline = time.monotonic() + timeout
        while True:
            seen = self.ws.generation
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{what} not met within {timeout}s")
            with self.ws.changed:
                # Wake on the next change; re-check now and then for outside conditions.
                self.ws.changed.wait_for(
                    lambda seen=seen: self.ws.generation != seen, timeout=min(remaining, 0.05)
                )
