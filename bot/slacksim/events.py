"""Events API deliveries (event_callback) made by SlackDriver, retries included."""

from __future__ import annotations

import json
import secrets
import uuid
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from bot.slacksim.model import Message

if TYPE_CHECKING:
    from bot.slacksim.driver import DriverResponse
    from bot.slacksim.server import FakeSlack
    from bot.slacksim.workspace import Workspace

VERIFICATION_TOKEN = "sim-verification-token"


class EventDelivery(ABC):
    """The Events API half of SlackDriver; SlackDriver supplies the signed transport."""

    fake: FakeSlack
    ws: Workspace
    installing_team: str | None

    @abstractmethod
    def send(self, body: str, content_type: str, headers: dict | None = None) -> DriverResponse:
        """POST a signed body to the bot."""

    def event(
        self,
        event: dict[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        event_id: str | None = None,
        outer_team: str | None = None,
        shared: bool = False,
    ) -> DriverResponse:
        """Deliver one event_callback; pass the first delivery's event_id when retrying.

        The installing workspace is `authorizations[0].team_id`. The top-level `team_id` is
        the same unless `outer_team` says otherwise: in Slack Connect it can be another team
        (the channel's home, or the person's own when they open the app's Home).
        """
        ws = self.ws
        installed = self.installing_team or ws.team_id
        inner = dict(event)
        inner.setdefault("event_ts", ws.next_ts())
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": outer_team or installed,
            "context_team_id": outer_team or installed,
            "api_app_id": ws.app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": int(float(inner["event_ts"])),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": installed,
                    "user_id": ws.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": shared,
            "event_context": f"4-{secrets.token_urlsafe(24)}",
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        response = self.send(json.dumps(envelope), "application/json", headers)
        response.event_id = envelope["event_id"]
        return response

    def url_verification(self, challenge: str = "sim-challenge") -> DriverResponse:
        """The handshake Slack does when the Request URL is saved."""
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.send(json.dumps(body), "application/json")

    def app_home_opened(self, user: str) -> DriverResponse:
        """The user opens the app's Home tab."""
        user_id = self.ws.user_id(user)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self.ws.bot_im(user_id).id,
            "tab": "home",
        }
        home = self.fake.home(user_id)
        if home is not None:
            event["view"] = home
        # No person's team in this event; the envelope's team_id is theirs (bolt-js#1948).
        own = self.ws.users[user_id].home(self.ws.team_id)
        return self.event(event, outer_team=own if own != self.ws.team_id else None)

    def post_as_user(
        self, user: str, channel: str, text: str, *, thread_ts: str | None = None
    ) -> dict:
        """A person posts a message (no event yet); returns it as the event would carry it."""
        ws = self.ws
        user_id = ws.user_id(user)
        ch = ws.channel(channel) or ws.bot_im(ws.user_id(channel))
        if user_id not in ch.members:
            raise PermissionError(f"{user} is not in {ch.name}")
        own = ws.users[user_id].home(ws.team_id)
        message = ws.add_message(
            Message(
                ts=ws.next_ts(),
                channel=ch.id,
                text=text,
                user=user_id,
                team=own,
                thread_ts=thread_ts,
            )
        )
        data = message.to_api()
        kind = (
            "im" if ch.is_im else "mpim" if ch.is_mpim else "group" if ch.is_private else "channel"
        )
        data.update(channel=ch.id, channel_type=kind, client_msg_id=str(uuid.uuid4()))
        data["user_team"] = own  # the author's own team, as in Slack Connect channels
        return data

    def user_message(
        self, user: str, channel: str, text: str, *, thread_ts: str | None = None
    ) -> DriverResponse:
        """A person posts `text` in `channel` (or the bot's DM when `channel` names a user)."""
        message = self.post_as_user(user, channel, text, thread_ts=thread_ts)
        return self.event(message, shared=self._shared(message["channel"]))

    def mention(
        self, user: str, channel: str, text: str, *, thread_ts: str | None = None
    ) -> DriverResponse:
        """A person posts `text` mentioning the bot; delivers the app_mention event."""
        if f"<@{self.ws.bot_user_id}>" not in text:
            text = f"<@{self.ws.bot_user_id}> {text}"
        message = self.post_as_user(user, channel, text, thread_ts=thread_ts)
        event = {k: message[k] for k in ("user", "text", "ts", "channel", "team")}
        event["type"] = "app_mention"
        if thread_ts:
            event["thread_ts"] = thread_ts
        event["user_team"] = message["user_team"]
        return self.event(event, shared=self._shared(message["channel"]))

    def _shared(self, channel_id: str) -> bool:
        """Whether a channel is shared with another organisation (Slack Connect)."""
        return bool(self.ws.channels[channel_id].connected_teams)
