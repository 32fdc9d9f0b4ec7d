"""The Slack-like chrome around rendered blocks: message rows, day lines, modal, thread pane."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.playground import render
from bot.playground.render import Context, esc

AVATAR_COLOURS = 8
GROUP_SECONDS = 5 * 60  # Slack folds a person's messages within a few minutes under one name


@dataclass(frozen=True)
class Row:
    """One message as the list shows it."""

    ts: str
    author_id: str
    author: str
    body: Mapping[str, Any]  # the message as the API returns it (text, blocks, files, …)
    is_app: bool = False
    ephemeral: bool = False  # "Only visible to you"
    edited: bool = False
    replies: int = 0
    source: str | None = None  # what a click in it refers to (message or ephemeral ts)


def initials(name: str) -> str:
    """Up to two capital letters for an avatar."""
    letters = [part[0] for part in name.replace("-", " ").split() if part]
    return ("".join(letters[:2]) or "?").upper()


def avatar(author_id: str, name: str, *, is_app: bool) -> str:
    """A coloured square with initials (no image leaves the machine)."""
    if is_app:
        return '<div class="avatar av-app" aria-hidden="true">📋</div>'
    colour = zlib.crc32(author_id.encode()) % AVATAR_COLOURS
    return f'<div class="avatar av-{colour}" aria-hidden="true">{esc(initials(name))}</div>'


def clock_time(ts: str, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(float(ts), zone).strftime("%H:%M")


def day_label(ts: str, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(float(ts), zone).strftime("%A, %-d %B")


def message_row(row: Row, ctx: Context, zone: ZoneInfo, *, grouped: bool = False) -> str:
    """A message with avatar, name, APP badge, time, body and its reply count."""
    classes = ["msg"]
    if row.ephemeral:
        classes.append("msg-ephemeral")
    if grouped:
        classes.append("msg-grouped")
    badge = '<span class="app-badge">APP</span>' if row.is_app else ""
    edited = '<span class="m-edited">(edited)</span>' if row.edited else ""
    time = esc(clock_time(row.ts, zone))
    head = (
        f'<div class="m-head"><span class="m-name">{esc(row.author)}</span>{badge}'
        f'<span class="m-time">{time}</span></div>'
    )
    note = ""
    if row.ephemeral:
        note = '<div class="m-only-you">👁 Only visible to you</div>'
    replies = ""
    if row.replies:
        word = "reply" if row.replies == 1 else "replies"
        replies = (
            f'<button type="button" class="m-replies" data-thread="{esc(row.ts)}">'
            f"{row.replies} {word}</button>"
        )
    side = (
        f'<div class="m-side">{time}</div>'
        if grouped
        else avatar(row.author_id, row.author, is_app=row.is_app)
    )
    source = f' data-source="{esc(row.source)}"' if row.source else ""
    return (
        f'<div class="{" ".join(classes)}" data-ts="{esc(row.ts)}"{source}>{side}'
        f'<div class="m-main">{"" if grouped else head}{note}'
        f'<div class="m-body">{render.message_body(row.body, ctx)}{edited}</div>'
        f"{replies}</div></div>"
    )


def message_list(rows: Iterable[Row], ctx: Context, zone: ZoneInfo, *, days: bool = True) -> str:
    """Rows in order, with day separators and consecutive messages folded under one name."""
    out: list[str] = []
    previous: Row | None = None
    for row in rows:
        day = day_label(row.ts, zone)
        if days and (previous is None or day_label(previous.ts, zone) != day):
            out.append(f'<div class="day"><span>{esc(day)}</span></div>')
            previous = None
        grouped = (
            previous is not None
            and previous.author_id == row.author_id
            and not (row.ephemeral or previous.ephemeral or previous.replies)
            and float(row.ts) - float(previous.ts) < GROUP_SECONDS
        )
        out.append(message_row(row, ctx, zone, grouped=grouped))
        previous = row
    return "".join(out)


def modal(view: Mapping[str, Any], ctx: Context) -> str:
    """A modal on an overlay: title, close (x), blocks with inline errors, Close and Submit."""
    view_id = esc(view.get("id", ""))
    title = render.text_object(view.get("title"), ctx.names)
    close = render.text_object(view.get("close") or {"type": "plain_text", "text": "Close"})
    submit = ""
    if view.get("submit"):
        label = render.text_object(view["submit"], ctx.names)
        submit = f'<button type="button" class="btn btn-primary" data-submit>{label}</button>'
    return (
        f'<div class="modal" role="dialog" aria-modal="true" data-source="{view_id}" '
        f'data-view-id="{view_id}" data-hash="{esc(view.get("hash", ""))}">'
        f'<div class="modal-head"><div class="modal-title">{title}</div>'
        '<button type="button" class="modal-x" data-close aria-label="Close">×</button></div>'
        f'<div class="modal-body">{render.blocks(view.get("blocks"), ctx)}</div>'
        f'<div class="modal-foot"><button type="button" class="btn" data-close>{close}</button>'
        f"{submit}</div></div>"
    )


def home(view: Mapping[str, Any] | None, ctx: Context) -> str:
    """The App Home tab as the bot last published it for this person."""
    if view is None:
        return '<div class="home-empty">Opening Home…</div>'
    return (
        f'<div class="home" data-source="{esc(view.get("id", ""))}">'
        f"{render.blocks(view.get('blocks'), ctx)}</div>"
    )


def thread(parent: Row, replies: list[Row], ctx: Context, zone: ZoneInfo, where: str) -> str:
    """The thread pane: the parent, a reply-count line, the replies."""
    count = len([r for r in replies if not r.ephemeral])
    word = "reply" if count == 1 else "replies"
    return (
        '<div class="thread-head"><div><div class="thread-title">Thread</div>'
        f'<div class="thread-where">{esc(where)}</div></div>'
        '<button type="button" class="thread-close" data-close-thread aria-label="Close thread">'
        "×</button></div>"
        f'<div class="thread-body">{message_row(replace(parent, replies=0), ctx, zone)}'
        f'<div class="thread-count"><span>{count} {word}</span></div>'
        f"{message_list(replies, ctx, zone, days=False)}</div>"
    )


def sidebar(
    *, channels: list[tuple[str, str, bool]], dms: list[tuple[str, str]], current: str
) -> str:
    """Channels (id, name, private), direct messages (id, name) and the app."""

    def item(view: str, icon: str, label: str) -> str:
        active = " active" if view == current else ""
        return (
            f'<button type="button" class="side-item{active}" data-view="{esc(view)}">'
            f'<span class="side-icon">{icon}</span><span>{esc(label)}</span></button>'
        )

    parts = ['<div class="side-section">Channels</div>']
    parts += [item(cid, "🔒" if private else "#", name) for cid, name, private in channels]
    parts.append('<div class="side-section">Direct messages</div>')
    parts += [item(cid, "●", name) for cid, name in dms]
    parts.append('<div class="side-section">Apps</div>')
    parts.append(item("app", "📋", "sopbot"))
    parts.append('<div class="side-section">Authoring</div>')
    parts.append(item("preview", "👁", "SOP preview"))
    return "".join(parts)
