"""SlackDriver: plays Slack towards the bot, delivering signed requests to /slack/events."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.slacksim import payloads
from bot.slacksim.api_common import render
from bot.slacksim.api_views import apply_submission_answer, close_by_user
from bot.slacksim.events import VERIFICATION_TOKEN, EventDelivery
from bot.slacksim.interactions import show_command_answer
from bot.slacksim.model import Ephemeral, Message
from bot.slacksim.server import FakeSlack

ACK_DEADLINE = 3.0


def signed_headers(body: str | bytes, secret: str, ts: int | None = None) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature for `body`, as Slack signs requests."""
    timestamp = str(int(time.time()) if ts is None else ts)
    text = body.decode() if isinstance(body, bytes) else body
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=text)
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": signature}


@dataclass
class DriverResponse:
    """The bot's HTTP answer to one delivery."""

    status: int
    text: str
    headers: dict[str, str]
    elapsed: float
    event_id: str | None = None
    outcome: str | None = None  # view_submission: closed/cleared/updated/pushed/errors/rejected
    problems: list[str] = field(default_factory=list)  # why Slack refused the ack's content

    @property
    def body(self) -> Any:
        """The body parsed as JSON when it is JSON, else the text (None when empty)."""
        if not self.text:
            return None
        content_type = next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")
        if "json" not in content_type:
            return self.text  # bolt acks a plain string as text/plain
        try:
            return json.loads(self.text)
        except json.JSONDecodeError:
            return self.text

    @property
    def acked_in_time(self) -> bool:
        return self.status == 200 and self.elapsed <= ACK_DEADLINE


class SlackDriver(EventDelivery):
    """Acts as Slack towards the bot: commands, clicks, selections, view submissions, events."""

    def __init__(self, fake: FakeSlack, bot_url: str, signing_secret: str, *, timeout=10.0):
        self.fake = fake
        self.ws = fake.ws
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.timeout = timeout
        self.timestamp_offset = 0  # e.g. -600 to sign with a stale timestamp
        self.installing_team: str | None = None  # see from_workspace()

    @contextmanager
    def from_workspace(self, team_id: str) -> Iterator[SlackDriver]:
        """Deliver requests as if the app were installed in another workspace, `team_id`: the
        same app (same signing secret) installed twice, and Slack sending that install's."""
        self.installing_team = team_id
        try:
            yield self
        finally:
            self.installing_team = None

    # -- transport --------------------------------------------------------------------------------

    def send_raw(self, body: str | bytes, headers: dict[str, str]) -> DriverResponse:
        """POST exactly this body and these headers to the bot."""
        data = body.encode() if isinstance(body, str) else body
        request = urllib.request.Request(self.bot_url, data=data, headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, raw, got = response.status, response.read(), dict(response.headers)
        except urllib.error.HTTPError as exc:
            status, raw, got = exc.code, exc.read(), dict(exc.headers)
        return DriverResponse(status, raw.decode(errors="replace"), got, time.monotonic() - started)

    def send(self, body: str, content_type: str, headers: dict | None = None) -> DriverResponse:
        """POST a body signed with the signing secret (shifted by timestamp_offset)."""
        ts = int(time.time()) + self.timestamp_offset
        signed = signed_headers(body, self.signing_secret, ts)
        return self.send_raw(body, {"Content-Type": content_type, **signed, **(headers or {})})

    def _interaction(self, payload: dict) -> DriverResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return self.send(body, "application/x-www-form-urlencoded")

    # -- helpers ----------------------------------------------------------------------------------

    def _user(self, user: str) -> str:
        return self.ws.user_id(user)

    def _common(self, user_id: str) -> dict:
        return {
            "user": payloads.user_ref(self.ws, user_id),
            "api_app_id": self.ws.app_id,
            "token": VERIFICATION_TOKEN,
            "team": payloads.team_ref(self.ws, self.installing_team),
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _channel_ref(self, channel_id: str) -> dict:
        channel = self.ws.channels[channel_id]
        if channel.is_im:
            return {"id": channel.id, "name": "directmessage"}
        return {"id": channel.id, "name": "privategroup" if channel.is_private else channel.name}

    def _source(self, user_id: str, source: dict | str) -> Message | Ephemeral | str:
        """What the user interacts with, as Slack knows it now: a message, ephemeral or view id."""
        ref = source if isinstance(source, str) else source.get("id") or source.get("ts")
        with self.ws.lock:
            view = self.ws.views.get(ref)
            if view is not None:
                if view.user != user_id or view.closed:
                    raise payloads.NotShown(f"view {ref} is not open for {user_id}")
                return view.id
            ephemeral = self.ws.ephemeral(ref)
            if ephemeral is not None:
                if ephemeral.user != user_id:
                    raise payloads.NotShown(f"ephemeral {ref} was shown to {ephemeral.user}")
                return ephemeral
            message = self.ws.find_message(ref)
            if message is None:
                raise payloads.NotShown(f"no message or view {ref!r} (deleted or never posted)")
            channel = self.ws.channels[message.channel]
            if not channel.is_public and user_id not in channel.members:
                raise payloads.NotShown(f"{user_id} cannot see channel {channel.id}")
            return message

    def _block_actions(
        self, user_id: str, target: Message | Ephemeral | str, act: dict, values: dict | None
    ) -> dict:
        ws = self.ws
        payload = {"type": "block_actions", **self._common(user_id)}
        payload["trigger_id"] = self.fake.issue_trigger(user_id)
        if isinstance(target, str):
            view = ws.views[target]
            with ws.lock:  # Slack keeps what the user typed so far in the view's state
                view.state = payloads.state_values(view.spec["blocks"], values, current=view.state)
            payload["container"] = {"type": "view", "view_id": view.id}
            payload["view"] = self._view(view.id)
        else:
            is_ephemeral = isinstance(target, Ephemeral)
            container = {
                "type": "message",
                "message_ts": target.ts,
                "channel_id": target.channel,
                "is_ephemeral": is_ephemeral,
            }
            if target.thread_ts:
                container["thread_ts"] = target.thread_ts
            payload["container"] = container
            payload["channel"] = self._channel_ref(target.channel)
            if not is_ephemeral:  # Slack leaves the message out for ephemeral sources
                payload["message"] = render(ws, target)
            state = payloads.state_values(target.blocks or [], values)
            payload["state"] = {"values": state}
            payload["response_url"] = self.fake.issue_response_url(
                channel=target.channel,
                user=user_id,
                source_ts=target.ts,
                source_ephemeral=is_ephemeral,
                thread_ts=target.thread_ts,
            )
        payload["actions"] = [act]
        return payload

    def _view(self, view_id: str) -> dict:
        """The view as an interaction carries it, naming the installing workspace."""
        view = self.fake.view(view_id)
        if self.installing_team:
            view["app_installed_team_id"] = self.installing_team
        return view

    def _blocks_of(self, target: Message | Ephemeral | str) -> list[dict]:
        if isinstance(target, str):
            return self.ws.views[target].spec["blocks"]
        return target.blocks or []

    # -- what a user does ----------------------------------------------------------------------

    def command(
        self, user: str, command: str, text: str = "", *, channel: str | None = None
    ) -> DriverResponse:
        """The user types `/command text` in `channel` (default: their DM with the app)."""
        user_id = self._user(user)
        ws = self.ws
        ch = ws.channel(channel) if channel else ws.bot_im(user_id)
        if ch is None:
            raise KeyError(f"no channel {channel!r}")
        response_url = self.fake.issue_response_url(channel=ch.id, user=user_id)
        form = {
            "token": VERIFICATION_TOKEN,
            # The workspace the command was typed in; a command says nothing of the person's
            # own organisation (Slack Connect members cannot use another workspace's commands).
            "team_id": self.installing_team or ws.team_id,
            "team_domain": ws.domain,
            "channel_id": ch.id,
            "channel_name": self._channel_ref(ch.id)["name"],
            "user_id": user_id,
            "user_name": ws.users[user_id].name,
            "command": command,
            "text": text,
            "api_app_id": ws.app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self.fake.issue_trigger(user_id),
        }
        response = self.send(urlencode(form), "application/x-www-form-urlencoded")
        if response.status == 200 and response.body:
            response.problems = show_command_answer(self.ws, response_url, response.body)
        return response

    def click(
        self,
        user: str,
        source: dict | str,
        action_id: str,
        value: str | None = None,
        block_id: str | None = None,
        *,
        values: dict | None = None,
        as_shown: dict | None = None,
    ) -> DriverResponse:
        """The user presses the button `action_id` (narrowed by value/block_id) in `source`.

        `as_shown`: the message as the person's client still draws it (not redrawn since an
        update took the button away), so a stale button can be pressed as in Slack.
        """
        user_id = self._user(user)
        target = self._source(user_id, source)
        shown = self._blocks_of(target) if as_shown is None else as_shown.get("blocks") or []
        found = payloads.locate(shown, action_id, block_id=block_id, value=value, types={"button"})
        act = payloads.action(found, action_ts=self.ws.next_ts())
        return self._interaction(self._block_actions(user_id, target, act, values))

    def select(
        self,
        user: str,
        source: dict | str,
        action_id: str,
        value: str | list[str],
        *,
        block_id: str | None = None,
        query: str = "",
    ) -> DriverResponse:
        """The user picks option(s) by value in a static/external select, overflow or radio."""
        user_id = self._user(user)
        target = self._source(user_id, source)
        found = payloads.locate(
            self._blocks_of(target), action_id, block_id=block_id, types=payloads.INTERACTIVE
        )
        values = [value] if isinstance(value, str) else list(value)
        kind = found.element["type"]
        if kind in ("external_select", "multi_external_select"):
            offered = self.suggest(user, source, action_id, query, block_id=found.block_id)
            by_value = {o.get("value"): o for o in offered}
            missing = [v for v in values if v not in by_value]
            if missing:
                raise payloads.NotShown(f"options {missing} not offered for {query!r}")
            chosen = [by_value[v] for v in values]
        elif kind in payloads.SELECTED_ONE or kind in payloads.SELECTED_MANY:
            chosen = values  # users, conversations, dates: the value is what is picked
        else:
            chosen = [payloads.find_option(found.element, v) for v in values]
        many = kind.startswith("multi_") or kind == "checkboxes"
        act = payloads.action(
            found, action_ts=self.ws.next_ts(), selected=chosen if many else chosen[0]
        )
        return self._interaction(self._block_actions(user_id, target, act, None))

    def suggest(
        self,
        user: str,
        source: dict | str,
        action_id: str,
        query: str = "",
        *,
        block_id: str | None = None,
    ) -> list[dict]:
        """The user types `query` into an external select; returns the options the bot offers."""
        user_id = self._user(user)
        target = self._source(user_id, source)
        blocks = self._blocks_of(target)
        input_blocks = [
            {**b, "dispatch_action": True} if b.get("type") == "input" else b for b in blocks
        ]
        found = payloads.locate(
            input_blocks,
            action_id,
            block_id=block_id,
            types={"external_select", "multi_external_select"},
        )
        payload = {"type": "block_suggestion", **self._common(user_id)}
        payload.update(action_id=action_id, block_id=found.block_id, value=query)
        if isinstance(target, str):
            payload["container"] = {"type": "view", "view_id": target}
            payload["view"] = self._view(target)
        else:
            payload["container"] = {
                "type": "message",
                "message_ts": target.ts,
                "channel_id": target.channel,
                "is_ephemeral": isinstance(target, Ephemeral),
            }
            payload["channel"] = self._channel_ref(target.channel)
        body = self._interaction(payload).body
        if not isinstance(body, dict):
            return []
        if "option_groups" in body:
            return [o for g in body["option_groups"] for o in g.get("options", [])]
        return list(body.get("options", []))

    def submit_view(
        self, user: str, view: dict | str, values: dict | None = None
    ) -> DriverResponse:
        """The user fills inputs (`values` by block_id or action_id) and presses Submit."""
        user_id = self._user(user)
        view_id = self._source(user_id, view)
        if not isinstance(view_id, str):
            raise payloads.NotShown("submit_view needs a modal, not a message")
        stored = self.ws.views[view_id]
        if stored.type != "modal" or not stored.spec.get("submit"):
            raise payloads.NotShown(f"view {view_id} has no Submit button")
        if self.ws.modal_stacks[user_id][-1:] != [view_id]:
            raise payloads.NotShown(f"view {view_id} is not the one on top")
        blocks = stored.spec["blocks"]
        with self.ws.lock:
            stored.state = payloads.state_values(blocks, values, current=stored.state)
        missing = payloads.missing_required(blocks, stored.state)
        if missing:
            raise payloads.NotShown(f"Slack would not submit; required inputs empty: {missing}")
        payload = {"type": "view_submission", **self._common(user_id)}
        # Slack gives the workspace the form was submitted from as `team` (the person's own
        # for a Slack Connect member), and the installing one as view.app_installed_team_id.
        home = self.ws.users[user_id].home(self.installing_team or self.ws.team_id)
        payload.update(
            team=payloads.team_ref(self.ws, home),
            trigger_id=self.fake.issue_trigger(user_id),
            view=self._view(view_id),
            response_urls=[],
        )
        response = self._interaction(payload)
        body = response.body if isinstance(response.body, dict) else None
        response.outcome = apply_submission_answer(self.ws, view_id, response.status, body)
        return response

    def close_view(self, user: str, view: dict | str) -> DriverResponse | None:
        """The user closes the modal; the bot hears view_closed only with notify_on_close."""
        user_id = self._user(user)
        view_id = self._source(user_id, view)
        if not isinstance(view_id, str):
            raise payloads.NotShown("close_view needs a modal")
        snapshot = self._view(view_id)
        stored = self.ws.views[view_id]
        close_by_user(self.ws, view_id)
        if not stored.spec.get("notify_on_close"):
            return None
        payload = {"type": "view_closed", **self._common(user_id)}
        payload.update(view=snapshot, is_cleared=bool(stored.spec.get("clear_on_close")))
        return self._interaction(payload)
