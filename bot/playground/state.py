"""What the page shows one person right now, as JSON with HTML fragments built by the renderer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.playground import frames, preview
from bot.playground.clock import digest_covering_today
from bot.playground.frames import Row
from bot.playground.render import Context, Names
from bot.slacksim import seed
from bot.slacksim.api_common import render as api_message
from bot.slacksim.model import Channel, Ephemeral, Message
from bot.slacksim.workspace import Workspace

if TYPE_CHECKING:
    from bot.playground.notice import Notice
    from bot.playground.wiring import Playground


def names_of(ws: Workspace) -> Names:
    """How mentions and pickers show people, channels and groups."""
    return Names(
        users={u.id: u.display_name or u.real_name for u in ws.users.values() if not u.deleted},
        channels={c.id: c.name for c in ws.channels.values() if not (c.is_im or c.is_mpim)},
        groups={g.id: g.handle for g in ws.usergroups.values()},
    )


def people(play: Playground) -> list[dict[str, str]]:
    """The seeded team one can play, each with the role they have in sopbot."""
    found = []
    for user in play.ws.users.values():
        if user.is_bot or user.deleted or user.id == seed.SLACKBOT:
            continue
        manager = user.id in play.settings.admins or "manager" in user.title.lower()
        role = "manager" if manager else "staff"
        if user.is_restricted or user.is_ultra_restricted:
            role = "guest"
        elif user.home(play.ws.team_id) != play.ws.team_id:
            role = "other organisation"  # in a Slack Connect channel
        found.append({"id": user.id, "label": f"{user.display_name or user.real_name} ({role})"})
    return found


def visible(ws: Workspace, user_id: str) -> tuple[list[Channel], list[tuple[str, str]]]:
    """Channels the person is in, and their direct messages with other people."""
    channels = sorted(
        (
            c
            for c in ws.channels.values()
            if not (c.is_im or c.is_mpim or c.is_archived) and user_id in c.members
        ),
        key=lambda c: c.name,
    )
    dms = []
    for c in ws.channels.values():
        if c.is_im and user_id in c.members and ws.bot_user_id not in c.members:
            other = next(m for m in c.members if m != user_id)
            dms.append((c.id, ws.users[other].real_name))
    return channels, sorted(dms, key=lambda d: d[1])


def message_row(ws: Workspace, message: Message) -> Row:
    """A stored message with its author as Slack names them (an app by its bot's name)."""
    author_id = message.user or message.bot_id or ""
    person = ws.users.get(message.user or "")
    body = api_message(ws, message)
    is_app = bool(message.bot_id) or bool(person and person.is_bot)
    if "bot_profile" in body:
        name = body["bot_profile"]["name"]
    elif person is not None:
        name = person.display_name or person.real_name if person.is_bot else person.real_name
    else:
        name = author_id
    return Row(
        ts=message.ts,
        author_id=author_id,
        author=name,
        body=body,
        is_app=is_app,
        edited=message.edited is not None,
        replies=len(message.reply_ts),
        source=message.ts,
    )


def ephemeral_row(ws: Workspace, ephemeral: Ephemeral) -> Row:
    """An ephemeral from the app, shown only to the person it was sent to."""
    return Row(
        ts=ephemeral.ts,
        author_id=ws.bot_user_id,
        author="sopbot",
        body=ephemeral.to_api(),
        is_app=True,
        ephemeral=True,
        source=ephemeral.ts,
    )


def notice_row(notice: Notice) -> Row:
    """A line from Slack itself, as Slackbot, shown only to its person."""
    body = {"text": notice.text}
    return Row(notice.ts, seed.SLACKBOT, "Slackbot", body, ephemeral=True)


def _rows(play: Playground, channel_id: str, thread_ts: str | None) -> list[Row]:
    """Messages, this person's ephemerals and Slack's notices in a channel or one thread."""
    ws, me = play.ws, play.user
    rows = []
    for m in ws.channel_messages(channel_id):
        top_level = not m.is_reply or m.subtype == "thread_broadcast"
        if (thread_ts is None and top_level) or (
            thread_ts and m.is_reply and m.thread_ts == thread_ts
        ):
            rows.append(message_row(ws, m))
    rows += [
        ephemeral_row(ws, e)
        for e in ws.ephemerals_for(me)
        if e.channel == channel_id and e.thread_ts == thread_ts
    ]
    rows += [
        notice_row(n)
        for n in play.notices
        if n.user == me and n.channel == channel_id and n.thread_ts == thread_ts
    ]
    return sorted(rows, key=lambda r: float(r.ts))


def page_state(
    play: Playground, *, view: str = "", tab: str = "home", thread: str = "", slug: str = ""
) -> dict[str, Any]:
    """Everything the page draws for the current person; `gen` changes whenever any of it does."""
    ws = play.ws
    tab = tab or "home"
    panel = ""
    if view == "preview":  # reads the database, so not while holding the workspace's lock
        with ws.lock:
            names, zone = names_of(ws), ZoneInfo(ws.users[play.user].tz)
        panel = preview.panel(play, slug, zone, names)
    with ws.lock, play.lock:
        gen = f"{ws.generation}.{play.generation}"
        me = ws.users[play.user]
        zone = ZoneInfo(me.tz)
        ctx = Context(names=names_of(ws))
        channels, dms = visible(ws, me.id)
        known = {c.id for c in channels} | {d[0] for d in dms} | {"app", "preview"}
        if view not in known:
            view = seed.SUPPORT if seed.SUPPORT in known else channels[0].id
        state: dict[str, Any] = {
            "gen": gen,
            "view": view,
            "me": {"id": me.id, "name": me.real_name, "tz": me.tz},
            "people": people(play),
            "sidebar": frames.sidebar(
                channels=[(c.id, c.name, c.is_private) for c in channels], dms=dms, current=view
            ),
            "clock": _clock(play, zone),
            "modal": None,
            "thread": None,
        }
        channel_id = _channel_of(play, view)
        if view == "preview":
            state.update(title="SOP preview", topic="", main=panel)
        elif view == "app" and tab == "home":
            home = play.fake.home(me.id)
            ctx_home = Context(
                names=ctx.names, state=(home or {}).get("state", {}).get("values", {})
            )
            state.update(title="sopbot", topic="", main=frames.home(home, ctx_home))
        else:
            channel = ws.channels.get(channel_id) if channel_id else None
            title, topic = _heading(ws, channel, view, me.id)
            rows = _rows(play, channel_id, None) if channel_id else []
            empty = '<div class="empty">No messages yet. Try <code>/sop refund</code>.</div>'
            main = frames.message_list(rows, ctx, zone) if rows else empty
            state.update(title=title, topic=topic, main=main, channel=channel_id or "")
            parent = ws.message(channel_id, thread) if channel_id and thread else None
            if parent is not None:
                where = f"#{channel.name}" if channel and not channel.is_im else title
                replies = _rows(play, channel_id, thread)
                state["thread"] = frames.thread(message_row(ws, parent), replies, ctx, zone, where)
        modal = play.fake.open_view(me.id)
        if modal is not None:
            values = modal.get("state", {}).get("values", {})
            errors = play.fake.view_errors(modal["id"])
            state["modal"] = frames.modal(modal, Context(ctx.names, state=values, errors=errors))
        state["publish"] = preview.publish_banner(play)
        return state


def _channel_of(play: Playground, view: str) -> str | None:
    """The conversation a view shows: a channel, a DM, or the app's Messages tab."""
    if view == "app":
        found = play.ws.im_between([play.ws.bot_user_id, play.user])
        return found.id if found else None
    return None if view == "preview" else view


def _heading(ws: Workspace, channel: Channel | None, view: str, me: str) -> tuple[str, str]:
    """The conversation's title and topic as its header shows them to `me`."""
    if view == "app":
        return "sopbot", ""
    if channel is None:
        return "", ""
    if channel.is_im:
        other = next((m for m in channel.members if m != me), me)
        return ws.users[other].real_name, "Direct message"
    return f"#{channel.name}", channel.purpose or channel.topic


def _clock(play: Playground, zone: ZoneInfo) -> dict[str, Any]:
    """The playground time (the page ticks it in the viewer's Slack zone, which it names) and the
    next digest that covers today, in that zone too."""
    config = play.digest_config()
    now = play.clock()
    due, covers = digest_covering_today(now, config)
    local = due.astimezone(zone)
    return {
        "epoch_ms": int(now.timestamp() * 1000),
        "tz": zone.key,
        "digest": f"{local:%a %H:%M}",
        "covers": f"{covers:%a} {covers.day} {covers:%b}",
        "digest_zone": f"{config.at:%H:%M} {config.tz}",
    }
