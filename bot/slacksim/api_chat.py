"""chat.* methods of the simulated Web API."""

from __future__ import annotations

from bot.slacksim.api_common import (
    ApiRequest,
    Handler,
    SlackError,
    message_content,
    message_metadata,
    post_target,
    render,
    thread_ts_arg,
    visible_channel,
)
from bot.slacksim.blocks import with_ids
from bot.slacksim.model import Message


def post_message(req: ApiRequest) -> dict:
    """chat.postMessage"""
    ws = req.ws
    with ws.lock:
        channel = post_target(req, req.get("channel"))
        content = message_content(req)
        metadata = message_metadata(req)
        thread_ts = thread_ts_arg(req)
        broadcast = bool(thread_ts) and req.flag("reply_broadcast")
        message = Message(
            ts=ws.next_ts(),
            channel=channel.id,
            text=content.text or "",
            user=ws.bot_user_id,
            bot_id=ws.bot_id,
            app_id=ws.app_id,
            team=ws.team_id,
            blocks=with_ids(content.blocks) if content.blocks else None,
            attachments=content.attachments,
            thread_ts=thread_ts,
            metadata=metadata,
            subtype="thread_broadcast" if broadcast else None,
        )
        ws.add_message(message)
        return {"channel": channel.id, "ts": message.ts, "message": render(ws, message)}


def post_ephemeral(req: ApiRequest) -> dict:
    """chat.postEphemeral"""
    ws = req.ws
    with ws.lock:
        channel = post_target(req, req.get("channel"), user_id_opens_dm=False)
        user_id = req.require("user")
        person = ws.users.get(user_id)
        if person is None:
            raise SlackError("user_not_found")
        if user_id not in channel.members:
            raise SlackError("user_not_in_channel")
        content = message_content(req)
        ephemeral = ws.add_ephemeral(
            channel=channel.id,
            user=user_id,
            text=content.text or "",
            blocks=with_ids(content.blocks) if content.blocks else None,
            thread_ts=thread_ts_arg(req),
        )
        return {"message_ts": ephemeral.ts}


def _own_message(req: ApiRequest, *, error: str) -> Message:
    """The bot's own message named by channel + ts (others' messages it may not touch)."""
    ws = req.ws
    channel = visible_channel(req, req.get("channel"))
    ts = req.get("ts")
    message = ws.message(channel.id, str(ts)) if ts is not None else None
    if message is None:
        raise SlackError("message_not_found")
    if message.bot_id != ws.bot_id:
        raise SlackError(error)
    if channel.is_archived:
        raise SlackError("is_archived")
    return message


def update(req: ApiRequest) -> dict:
    """chat.update: omitted blocks/attachments are kept, an empty list removes them."""
    ws = req.ws
    with ws.lock:
        message = _own_message(req, error="cant_update_message")
        content = message_content(req, require_some=False)
        if content.text is None and content.blocks is None and content.attachments is None:
            raise SlackError("no_text")
        if content.text is not None:
            message.text = content.text
        if content.blocks is not None:
            message.blocks = with_ids(content.blocks) if content.blocks else None
        if content.attachments is not None:
            message.attachments = content.attachments or None
        metadata = message_metadata(req)
        if metadata is not None:
            message.metadata = metadata
        message.edited = {"user": ws.bot_user_id, "ts": ws.next_ts()}
        ws.notify()
        return {
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": render(ws, message),
        }


def delete(req: ApiRequest) -> dict:
    """chat.delete"""
    ws = req.ws
    with ws.lock:
        message = _own_message(req, error="cant_delete_message")
        ws.delete_message(message)
        return {"channel": message.channel, "ts": message.ts}


def get_permalink(req: ApiRequest) -> dict:
    """chat.getPermalink"""
    ws = req.ws
    with ws.lock:
        channel = visible_channel(req, req.get("channel"))
        ts = str(req.require("message_ts"))
        message = ws.message(channel.id, ts)
        if message is None:
            raise SlackError("message_not_found")
        link = f"https://{ws.domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}


METHODS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.postEphemeral": post_ephemeral,
    "chat.update": update,
    "chat.delete": delete,
    "chat.getPermalink": get_permalink,
}
