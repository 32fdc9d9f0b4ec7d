"""Blocks and whole message bodies as HTML (sections, context, images, inputs, files)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.playground.render.elements import Context, element
from bot.playground.render.text import Names, attrs, esc, image_src, mrkdwn, plain, text_object


def blocks(items: Any, ctx: Context | None = None) -> str:
    """A list of Block Kit blocks as HTML."""
    ctx = ctx or Context()
    if not isinstance(items, list):
        return ""
    return "".join(block(b, ctx) for b in items if isinstance(b, dict))


def block(b: dict, ctx: Context) -> str:
    """One block; unknown types are named, not dropped silently."""
    kind = b.get("type")
    names = ctx.names
    if kind == "header":
        return f'<div class="b-header">{text_object(b.get("text"), names)}</div>'
    if kind == "divider":
        return '<hr class="b-divider">'
    if kind == "section":
        return _section(b, ctx)
    if kind == "context":
        parts = [_context_element(e, names) for e in b.get("elements") or []]
        return f'<div class="b-context">{"".join(parts)}</div>'
    if kind == "image":
        src = image_src(b.get("image_url"), b.get("slack_file"))
        title = f'<div class="b-image-title">{text_object(b.get("title"), names)}</div>'
        img = f'<img src="{esc(src)}" alt="{esc(b.get("alt_text", ""))}">' if src else ""
        return f'<figure class="b-image">{title if b.get("title") else ""}{img}</figure>'
    if kind == "actions":
        parts = [element(e, b.get("block_id"), ctx) for e in b.get("elements") or []]
        return f'<div class="b-actions">{"".join(parts)}</div>'
    if kind == "input":
        return _input(b, ctx)
    if kind == "rich_text":
        return f'<div class="b-rich">{esc(_rich_text(b))}</div>'
    return f'<div class="b-unknown">[{esc(kind)} block]</div>'


def _section(b: dict, ctx: Context) -> str:
    text = b.get("text")
    main = f'<div class="s-text">{text_object(text, ctx.names)}</div>' if text else ""
    fields = b.get("fields") or []
    if fields:
        cells = "".join(f'<div class="s-field">{text_object(f, ctx.names)}</div>' for f in fields)
        main += f'<div class="s-fields">{cells}</div>'
    accessory = b.get("accessory")
    side = ""
    if isinstance(accessory, dict):
        side = f'<div class="s-accessory">{element(accessory, b.get("block_id"), ctx)}</div>'
    return f'<div class="b-section"><div class="s-main">{main}</div>{side}</div>'


def _context_element(e: Any, names: Names) -> str:
    if isinstance(e, dict) and e.get("type") == "image":
        src = image_src(e.get("image_url"), e.get("slack_file"))
        return (
            f'<img class="ctx-img" src="{esc(src)}" alt="{esc(e.get("alt_text", ""))}">'
            if src
            else ""
        )
    return f'<span class="ctx-text">{text_object(e, names)}</span>'


def _rich_text(b: dict) -> str:
    """The words of a rich_text block (enough for what people type; styling is dropped)."""
    words: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            words.append(str(node.get("text", "")) if node.get("type") == "text" else "")
            for child in node.get("elements") or []:
                walk(child)

    walk(b)
    return "".join(words)


def _input(b: dict, ctx: Context) -> str:
    block_id = b.get("block_id", "")
    optional = ' <span class="optional">(optional)</span>' if b.get("optional") else ""
    label = f'<label class="in-label">{text_object(b.get("label"), ctx.names)}{optional}</label>'
    el = b.get("element") if isinstance(b.get("element"), dict) else {}
    hint = (
        f'<div class="in-hint">{text_object(b["hint"], ctx.names)}</div>' if b.get("hint") else ""
    )
    error = ctx.errors.get(block_id)
    shown = f'<div class="in-error" role="alert">{plain(error)}</div>' if error else ""
    css = "b-input has-error" if error else "b-input"
    return (
        f'<div class="{css}"{attrs(block_id=block_id, optional="1" if optional else None)}>{label}'
        f"{element(el, block_id, ctx, in_input=True, dispatch=bool(b.get('dispatch_action')))}"
        f"{hint}{shown}</div>"
    )


def message_body(message: Mapping[str, Any], ctx: Context | None = None) -> str:
    """What a message shows: its blocks (or its text), legacy attachments and shared files."""
    ctx = ctx or Context()
    shown = blocks(message.get("blocks"), ctx) if message.get("blocks") else ""
    if not shown:
        shown = f'<div class="m-text">{mrkdwn(message.get("text", ""), ctx.names)}</div>'
    for att in message.get("attachments") or []:
        if isinstance(att, dict):
            inner = blocks(att.get("blocks"), ctx) or mrkdwn(
                att.get("text") or att.get("fallback", ""), ctx.names
            )
            shown += f'<div class="m-attachment">{inner}</div>'
    for f in message.get("files") or []:
        shown += _file(f)
    return shown


def _file(f: Any) -> str:
    if not isinstance(f, dict):
        return ""
    src = image_src(slack_file={"id": f.get("id")})
    name = plain(f.get("title") or f.get("name") or "file", emoji=False)
    if src and str(f.get("name", "")).lower().endswith((".png", ".jpg", ".jpeg", ".gif", ".webp")):
        return (
            f'<figure class="m-file"><div class="m-file-name">{name}</div>'
            f'<img src="{esc(src)}" alt="{name}"></figure>'
        )
    link = f'<a href="{esc(src)}" download>{name}</a>' if src else name
    return f'<div class="m-file m-file-other">📎 {link}</div>'
