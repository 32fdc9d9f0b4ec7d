"""What every simulated Web API method shares: errors, argument parsing, paging, visibility."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.slacksim.blocks import message_block_problems, text_length
from bot.slacksim.model import Channel, Message
from bot.slacksim.workspace import Workspace

T = TypeVar("T")
MAX_TEXT = 40_000
TS_PATTERN = re.compile(r"^\d{9,10}\.\d{1,6}$")


class SlackError(Exception):
    """An `{"ok": false, "error": code}` answer, optionally with response_metadata.messages."""

    def __init__(
        self,
        code: str,
        messages: Sequence[str] = (),
        *,
        status: int = 200,
        extra: dict | None = None,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.messages = list(messages)
        self.status = status
        self.extra = extra or {}

    def body(self) -> dict:
        data: dict[str, Any] = {"ok": False, "error": self.code, **self.extra}
        if self.messages:
            data["response_metadata"] = {"messages": self.messages}
        return data


@dataclass
class ApiRequest:
    """One Web API call as a handler sees it."""

    method: str
    args: dict[str, Any]
    ws: Workspace
    base_url: str  # "http://127.0.0.1:PORT/"

    def get(self, name: str, default: Any = None) -> Any:
        value = self.args.get(name, default)
        return default if value in (None, "") else value

    def require(self, name: str) -> Any:
        """A required argument; Slack's schema-checked methods answer invalid_arguments."""
        value = self.get(name)
        if value is None:
            raise SlackError("invalid_arguments", [f"[ERROR] missing required field: {name}"])
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.args.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("1", "true", "yes")

    def integer(self, name: str, default: int, *, most: int | None = None) -> int:
        value = self.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", [f"[ERROR] must be an integer: {name}"]) from None
        return min(number, most) if most is not None else number

    def json_arg(self, name: str, error: str) -> Any:
        """An argument that is JSON in form encoding and a value in a JSON body."""
        value = self.args.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise SlackError(error) from None
        return value


Handler = Callable[[ApiRequest], dict]


# -- paging -------------------------------------------------------------------------------


def encode_cursor(kind: str, key: str) -> str:
    return base64.b64encode(f"{kind}:{key}".encode()).decode()


def paginate(
    req: ApiRequest,
    items: list[T],
    *,
    key: Callable[[T], str],
    kind: str,
    default_limit: int = 100,
    max_limit: int = 1000,
) -> tuple[list[T], str]:
    """One page of `items` and the next_cursor ("" on the last page), as Slack pages lists."""
    start = 0
    cursor = req.get("cursor")
    if cursor:
        try:
            prefix, _, wanted = base64.b64decode(cursor, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise SlackError("invalid_cursor") from None
        keys = [key(item) for item in items]
        if prefix != kind or wanted not in keys:
            raise SlackError("invalid_cursor")
        start = keys.index(wanted)
    limit = req.integer("limit", default_limit, most=max_limit)
    if limit <= 0:
        limit = len(items) or 1
    page = items[start : start + limit]
    after = start + limit
    return page, encode_cursor(kind, key(items[after])) if after < len(items) else ""


# -- conversations ---------------------------------------------------------------------------


def visible_channel(req: ApiRequest, ref: Any) -> Channel:
    """A conversation the bot may see: any public one, or a private one it belongs to."""
    ch = req.ws.channels.get(ref) if isinstance(ref, str) else None
    if ch is None:
        raise SlackError("channel_not_found")
    if not ch.is_public and req.ws.bot_user_id not in ch.members:
        # Private conversations the bot is not in do not exist as far as it can tell.
        raise SlackError("channel_not_found")
    return ch


def post_target(req: ApiRequest, ref: Any, *, user_id_opens_dm: bool = True) -> Channel:
    """Where a message may go, with Slack's membership, archive and DM rules."""
    ws = req.ws
    if user_id_opens_dm and isinstance(ref, str) and ref[:1] in ("U", "W") and ref in ws.users:
        # chat.postMessage to a user ID lands in the app's DM with that person.
        person = ws.users[ref]
        if person.is_bot or ref == ws.bot_user_id:
            raise SlackError("cannot_dm_bot")
        if person.deleted:
            raise SlackError("is_archived")  # a deactivated person's DM is archived
        return ws.bot_im(ref)
    named = ws.channel(ref) if isinstance(ref, str) and ref not in ws.channels else None
    if named is not None:
        ref = named.id  # chat.postMessage also takes a channel name such as "#support"
    ch = visible_channel(req, ref)
    if ws.bot_user_id not in ch.members:
        if not ch.is_public:
            raise SlackError("channel_not_found")
        if not ws.public_write:
            raise SlackError("not_in_channel")
    if ch.is_archived:
        raise SlackError("is_archived")
    if ch.is_im and ch.im_user and ws.users.get(ch.im_user) and ws.users[ch.im_user].deleted:
        raise SlackError("is_archived")
    return ch


# -- message content ---------------------------------------------------------------------------


@dataclass
class Content:
    """Text, blocks and attachments of one message, validated."""

    text: str | None
    blocks: list[dict] | None
    attachments: list[dict] | None


def message_content(req: ApiRequest, *, require_some: bool = True) -> Content:
    """Parse and check text/blocks/attachments the way chat.postMessage does."""
    blocks = req.json_arg("blocks", "invalid_blocks_format")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    attachments = req.json_arg("attachments", "invalid_attachments")
    if attachments is not None and not isinstance(attachments, list):
        raise SlackError("invalid_attachments")
    if attachments and len(attachments) > 100:
        raise SlackError("too_many_attachments")
    text = req.args.get("text")
    if text is not None and not isinstance(text, str):
        text = str(text)
    if require_some and not text and not blocks and not attachments:
        raise SlackError("no_text")
    if blocks:
        check_blocks(blocks)
    if text and len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]  # Slack truncates rather than refusing
    return Content(text=text, blocks=blocks, attachments=attachments)


def check_blocks(blocks: list) -> None:
    """Raise invalid_blocks / msg_blocks_too_long as Slack would for message blocks."""
    problems = message_block_problems(blocks)
    if problems:
        raise SlackError(
            "invalid_blocks",
            problems,
            extra={"errors": [p.removeprefix("[ERROR] ") for p in problems]},
        )
    if text_length(blocks) > 12_000:
        raise SlackError("msg_blocks_too_long")


def message_metadata(req: ApiRequest) -> dict | None:
    """The `metadata` argument: {event_type, event_payload}."""
    metadata = req.json_arg("metadata", "invalid_metadata_format")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise SlackError("invalid_metadata_format")
    event_type = metadata.get("event_type")
    if not isinstance(event_type, str) or not isinstance(metadata.get("event_payload"), dict):
        raise SlackError("invalid_metadata_schema")
    if len(json.dumps(metadata)) > 8_000:
        raise SlackError("metadata_too_large")
    return {"event_type": event_type, "event_payload": metadata["event_payload"]}


def thread_ts_arg(req: ApiRequest) -> str | None:
    value = req.get("thread_ts")
    if value is None:
        return None
    value = str(value)
    if not TS_PATTERN.match(value):
        raise SlackError("invalid_thread_ts", [f"[ERROR] {value} is not a valid thread_ts"])
    return value


def render(ws: Workspace, message: Message, *, include_metadata: bool = True) -> dict:
    """A message in API shape, with the bot_profile Slack adds to app messages."""
    data = message.to_api(include_metadata=include_metadata)
    if message.bot_id:
        bot_user = next((u for u in ws.users.values() if u.bot_id == message.bot_id), None)
        data["bot_profile"] = {
            "id": message.bot_id,
            "app_id": message.app_id,
            "name": bot_user.name if bot_user else "bot",
            "deleted": False,
            "team_id": ws.team_id,
            "updated": 1700000000,
            "icons": {"image_48": "https://avatars.example.invalid/bot_48.png"},
        }
    return data
