"""conversations.* methods of the simulated Web API."""

from __future__ import annotations

from bot.slacksim.api_common import (
    TS_PATTERN,
    ApiRequest,
    Handler,
    SlackError,
    encode_cursor,
    paginate,
    render,
    visible_channel,
)
from bot.slacksim.model import Channel, Message

MAX_DM_USERS = 8


def _readable(req: ApiRequest) -> Channel:
    """A conversation whose messages the bot may read: it has to be a member."""
    channel = visible_channel(req, req.get("channel"))
    if req.ws.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def open_conversation(req: ApiRequest) -> dict:
    """conversations.open: a DM for one user, a group DM for several; idempotent."""
    ws = req.ws
    with ws.lock:
        if req.get("channel"):
            channel = visible_channel(req, req.get("channel"))
            if not (channel.is_im or channel.is_mpim):
                raise SlackError("method_not_supported_for_channel_type")
            return {"channel": {"id": channel.id}, "no_op": True, "already_open": True}
        raw = req.get("users")
        if not raw:
            raise SlackError("users_list_not_supplied")
        wanted = [u.strip() for u in str(raw).split(",") if u.strip()]
        wanted = [u for u in dict.fromkeys(wanted) if u != ws.bot_user_id]
        if not wanted:
            raise SlackError("not_enough_users")
        if len(wanted) > MAX_DM_USERS:
            raise SlackError("too_many_users")
        for user_id in wanted:
            person = ws.users.get(user_id)
            if person is None:
                raise SlackError("user_not_found")
            if person.deleted:
                raise SlackError("user_disabled")
            if person.is_bot:
                raise SlackError("cannot_dm_bot")
        members = [ws.bot_user_id, *wanted]
        existing = ws.im_between(members)
        channel = existing or ws.open_im(members)
        body: dict = {"channel": {"id": channel.id}}
        if req.flag("return_im"):
            body["channel"] = channel.to_api(team_id=ws.team_id, viewer=ws.bot_user_id)
        if existing:
            body.update(no_op=True, already_open=True)
        return body


def members(req: ApiRequest) -> dict:
    """conversations.members, paged by cursor."""
    with req.ws.lock:
        channel = visible_channel(req, req.get("channel"))
        page, cursor = paginate(req, list(channel.members), key=str, kind="user")
        return {"members": page, "response_metadata": {"next_cursor": cursor}}


def list_conversations(req: ApiRequest) -> dict:
    """conversations.list, filtered by types and archive state, paged by cursor."""
    ws = req.ws
    with ws.lock:
        types = {t.strip() for t in str(req.get("types", "public_channel")).split(",")}
        unknown = types - {"public_channel", "private_channel", "mpim", "im"}
        if unknown:
            raise SlackError("invalid_types")
        bot = ws.bot_user_id

        def wanted(ch: Channel) -> bool:
            if ch.is_archived and req.flag("exclude_archived"):
                return False
            if ch.is_im:
                return "im" in types and bot in ch.members
            if ch.is_mpim:
                return "mpim" in types and bot in ch.members
            if ch.is_private:
                return "private_channel" in types and bot in ch.members
            return "public_channel" in types

        found = [ch for ch in ws.channels.values() if wanted(ch)]
        page, cursor = paginate(req, found, key=lambda ch: ch.id, kind="channel")
        return {
            "channels": [
                ch.to_api(team_id=ws.team_id, viewer=bot, with_num_members=not ch.is_im)
                for ch in page
            ],
            "response_metadata": {"next_cursor": cursor},
        }


def info(req: ApiRequest) -> dict:
    """conversations.info"""
    ws = req.ws
    with ws.lock:
        channel = visible_channel(req, req.get("channel"))
        data = channel.to_api(
            team_id=ws.team_id,
            viewer=ws.bot_user_id,
            with_num_members=req.flag("include_num_members"),
        )
        return {"channel": data}


def _window(req: ApiRequest, messages: list[Message]) -> list[Message]:
    """Messages inside oldest/latest (exclusive unless inclusive=true)."""
    inclusive = req.flag("inclusive")
    oldest = float(req.get("oldest", 0))
    latest = float(req.get("latest", 0)) or None

    def inside(m: Message) -> bool:
        ts = float(m.ts)
        above = ts >= oldest if inclusive else ts > oldest
        below = latest is None or (ts <= latest if inclusive else ts < latest)
        return above and below

    return [m for m in messages if inside(m)]


def _page_by_ts(req: ApiRequest, messages: list[Message], default_limit: int, most: int):
    """Page a ts-ordered list; the cursor names the first ts of the next page."""
    start = 0
    cursor = req.get("cursor")
    if cursor:
        keys = [encode_cursor("next_ts", m.ts) for m in messages]
        if cursor not in keys:
            raise SlackError("invalid_cursor")
        start = keys.index(cursor)
    limit = req.integer("limit", default_limit, most=most) or default_limit
    page = messages[start : start + limit]
    more = start + limit < len(messages)
    cursor = encode_cursor("next_ts", messages[start + limit].ts) if more else ""
    return page, more, cursor


def history(req: ApiRequest) -> dict:
    """conversations.history: newest first; metadata only with include_all_metadata."""
    ws = req.ws
    with ws.lock:
        channel = _readable(req)
        top = [
            m
            for m in ws.channel_messages(channel.id)
            if not m.is_reply or m.subtype == "thread_broadcast"
        ]
        newest_first = list(reversed(_window(req, top)))
        page, more, cursor = _page_by_ts(req, newest_first, 100, 999)
        metadata = req.flag("include_all_metadata")
        return {
            "messages": [render(ws, m, include_metadata=metadata) for m in page],
            "has_more": more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }


def replies(req: ApiRequest) -> dict:
    """conversations.replies: the parent first, then replies oldest first."""
    ws = req.ws
    with ws.lock:
        channel = _readable(req)
        ts = str(req.require("ts"))
        if not TS_PATTERN.match(ts):
            raise SlackError("invalid_ts_latest")
        message = ws.message(channel.id, ts)
        if message is None:
            raise SlackError("thread_not_found")
        parent_ts = message.thread_ts or message.ts
        thread = [
            m
            for m in ws.channel_messages(channel.id)
            if m.ts == parent_ts or (m.thread_ts == parent_ts and m.is_reply)
        ]
        parent, rest = thread[:1], _window(req, thread[1:])
        page, more, cursor = _page_by_ts(req, parent + rest, 1000, 1000)
        metadata = req.flag("include_all_metadata")
        return {
            "messages": [render(ws, m, include_metadata=metadata) for m in page],
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }


def join(req: ApiRequest) -> dict:
    """conversations.join: the bot joins a public channel."""
    ws = req.ws
    with ws.lock:
        channel = visible_channel(req, req.get("channel"))
        if not channel.is_public:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        already = ws.bot_user_id in channel.members
        ws.join(channel.id, ws.bot_user_id)
        body: dict = {"channel": channel.to_api(team_id=ws.team_id, viewer=ws.bot_user_id)}
        if already:
            body.update(warning="already_in_channel")
        return body


METHODS: dict[str, Handler] = {
    "conversations.open": open_conversation,
    "conversations.members": members,
    "conversations.list": list_conversations,
    "conversations.info": info,
    "conversations.history": history,
    "conversations.replies": replies,
    "conversations.join": join,
}
