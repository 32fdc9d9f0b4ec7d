"""Trigger IDs and response URLs: the short-lived handles Slack gives with each interaction."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from bot.slacksim.api_common import SlackError
from bot.slacksim.blocks import message_block_problems, with_ids
from bot.slacksim.model import Message
from bot.slacksim.workspace import Workspace

TRIGGER_LIFETIME = 3.0
RESPONSE_URL_LIFETIME = 30 * 60.0
RESPONSE_URL_USES = 5


@dataclass
class Trigger:
    """A trigger_id: opens one modal within three seconds of the interaction."""

    id: str
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url: five posts within thirty minutes, aimed at one conversation and user."""

    token: str
    channel: str
    user: str
    issued_at: float
    source_ts: str | None = None  # the message the interaction came from, if any
    source_ephemeral: bool = False
    thread_ts: str | None = None
    uses: int = 0


def issue_trigger(ws: Workspace, user: str) -> str:
    """A fresh trigger_id for `user`, shaped like Slack's."""
    with ws.lock:
        trigger_id = f"{int(ws.now() * 1000)}.{ws.team_id[1:]}.{secrets.token_hex(16)}"
        ws.triggers[trigger_id] = Trigger(id=trigger_id, user=user, issued_at=ws.now())
        return trigger_id


def take_trigger(ws: Workspace, trigger_id: Any) -> Trigger:
    """Spend a trigger_id, or raise the error Slack gives for it."""
    with ws.lock:
        trigger = ws.triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if ws.now() - trigger.issued_at > TRIGGER_LIFETIME:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger


def check_trigger(ws: Workspace, trigger_id: Any) -> None:
    """Raise the trigger error without spending it (views are validated before it is spent)."""
    with ws.lock:
        trigger = ws.triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise SlackError("invalid_trigger_id")
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if ws.now() - trigger.issued_at > TRIGGER_LIFETIME:
            raise SlackError("expired_trigger_id")


def issue_response_url(
    ws: Workspace,
    base_url: str,
    *,
    channel: str,
    user: str,
    source_ts: str | None = None,
    source_ephemeral: bool = False,
    thread_ts: str | None = None,
) -> str:
    """A fresh response_url on the fake server."""
    with ws.lock:
        token = f"{ws.team_id}/{ws.new_id('R')}/{secrets.token_hex(12)}"
        ws.response_urls[token] = ResponseUrl(
            token=token,
            channel=channel,
            user=user,
            issued_at=ws.now(),
            source_ts=source_ts,
            source_ephemeral=source_ephemeral,
            thread_ts=thread_ts,
        )
        return f"{base_url}response/{token}"


def _as_bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def post_to_response_url(ws: Workspace, token: str, raw: bytes) -> tuple[int, dict]:
    """Apply one POST to a response_url: (HTTP status, JSON body)."""
    with ws.lock:
        handle: ResponseUrl | None = ws.response_urls.get(token)
        if handle is None:
            return 404, {"ok": False, "error": "invalid_token"}
        if ws.now() - handle.issued_at > RESPONSE_URL_LIFETIME:
            return 404, {"ok": False, "error": "expired_url"}
        if handle.uses >= RESPONSE_URL_USES:
            return 404, {"ok": False, "error": "used_url"}
        try:
            body = json.loads(raw.decode() or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {"ok": False, "error": "invalid_payload"}
        if not isinstance(body, dict):
            return 400, {"ok": False, "error": "invalid_payload"}
        try:
            _apply(ws, handle, body)
        except SlackError as exc:
            return 400, exc.body()
        handle.uses += 1
        ws.notify()
        return 200, {"ok": True}


def show_command_answer(ws: Workspace, response_url: str, body: dict | str) -> list[str]:
    """Show a slash command's ack body as Slack does; returns why Slack refused it, if it did."""
    payload = {"text": body} if isinstance(body, str) else dict(body)
    if not payload.get("text") and not payload.get("blocks"):
        return []
    payload.pop("replace_original", None)
    payload.pop("delete_original", None)
    with ws.lock:
        handle = ws.response_urls[response_url.rsplit("/response/", 1)[1]]
        try:
            _apply(ws, handle, payload, source="ack")
        except SlackError as exc:
            return exc.messages or [exc.code]
        ws.notify()
        return []


def _apply(ws: Workspace, handle: ResponseUrl, body: dict, *, source: str = "response_url") -> None:
    text, blocks = body.get("text"), body.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format")
    if blocks:
        problems = message_block_problems(blocks)
        if problems:
            raise SlackError("invalid_blocks", problems)
        blocks = with_ids(blocks)
    if handle.source_ephemeral:
        target = ws.ephemeral(handle.source_ts or "")
    else:
        target = ws.find_message(handle.source_ts) if handle.source_ts else None
    if _as_bool(body.get("delete_original")):
        if target is None:
            raise SlackError("message_not_found")
        if isinstance(target, Message):
            ws.delete_message(target)
        else:
            target.deleted = True
        return
    if not text and not blocks:
        raise SlackError("no_text")
    if _as_bool(body.get("replace_original")) and target is not None:
        target.text = text or ""
        target.blocks = blocks
        return
    if body.get("response_type") == "in_channel":
        ws.add_message(
            Message(
                ts=ws.next_ts(),
                channel=handle.channel,
                text=text or "",
                user=ws.bot_user_id,
                bot_id=ws.bot_id,
                app_id=ws.app_id,
                team=ws.team_id,
                blocks=blocks,
                thread_ts=body.get("thread_ts") or handle.thread_ts,
            )
        )
        return
    ephemeral = ws.add_ephemeral(
        channel=handle.channel,
        user=handle.user,
        text=text or "",
        blocks=blocks,
        thread_ts=handle.thread_ts,
        source=source,
    )
    if handle.source_ts is None or handle.source_ephemeral:
        # Later replace_original posts replace this ephemeral, as they do after a slash command.
        handle.source_ts, handle.source_ephemeral = ephemeral.ts, True
