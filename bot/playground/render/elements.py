"""Block Kit elements as HTML: buttons, menus and inputs, with data-* saying what to send."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.playground.render.text import NO_NAMES, Names, attrs, esc, image_src, plain, text_object

SELECTS = frozenset(
    {"static_select", "multi_static_select", "users_select", "conversations_select",
     "channels_select"}
)  # fmt: skip
TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})


@dataclass(frozen=True)
class Context:
    """What rendering a surface needs besides its blocks: names, input state and field errors."""

    names: Names = NO_NAMES
    state: Mapping[str, Any] = field(default_factory=dict)  # view.state.values
    errors: Mapping[str, str] = field(default_factory=dict)  # block_id -> error
    interactive: bool = True


def _current(ctx: Context, block_id: Any, el: dict) -> dict:
    """What the user entered earlier in this input (Slack keeps it across updates and errors)."""
    entry = (ctx.state.get(str(block_id)) or {}).get(el.get("action_id")) or {}
    return entry if isinstance(entry, dict) else {}


def element(
    el: Any, block_id: Any, ctx: Context, *, in_input: bool = False, dispatch: bool = False
) -> str:
    """One interactive or display element; its data-* attributes tell the page what to send."""
    # In an input block the value goes with the form; with `dispatch` (the block's
    # dispatch_action) Slack also sends it at once, so the page does too.
    if not isinstance(el, dict):
        return ""
    kind = str(el.get("type"))
    data = attrs(kind=kind, action_id=el.get("action_id"), block_id=block_id)
    data += ' data-input="1"' if in_input else ""
    data += ' data-dispatch="1"' if dispatch else ""
    data += "" if ctx.interactive else " disabled"
    if kind == "button":
        return _button(el, data, ctx.names)
    if kind == "image":
        src = image_src(el.get("image_url"), el.get("slack_file"))
        alt = esc(el.get("alt_text", ""))
        return f'<img class="acc-img" src="{esc(src)}" alt="{alt}">' if src else ""
    if kind == "overflow":
        return _overflow(el, data, ctx.names)
    current = _current(ctx, block_id, el)
    if kind in SELECTS:
        return _select(el, kind, data, current, ctx.names)
    if kind in ("external_select", "multi_external_select"):
        return _external(el, data, current)
    if kind in ("checkboxes", "radio_buttons"):
        return _choices(el, kind, block_id, data, current, ctx.names)
    if kind in TEXT_INPUTS:
        return _text_input(el, data, current)
    if kind in ("datepicker", "timepicker"):
        key = "selected_date" if kind == "datepicker" else "selected_time"
        value = current.get(key) or el.get("initial_" + key.split("_")[1]) or ""
        html_type = "date" if kind == "datepicker" else "time"
        return f'<input type="{html_type}" class="text-in" value="{esc(value)}"{data}>'
    return f'<span class="el-unknown">[{esc(kind)}]</span>'


def _placeholder(el: dict, default: str = "") -> str:
    return plain((el.get("placeholder") or {}).get("text", default))


def _button(el: dict, data: str, names: Names) -> str:
    style = {"primary": " btn-primary", "danger": " btn-danger"}.get(el.get("style"), "")
    label = text_object(el.get("text"), names)
    value = attrs(value=el.get("value"))
    return f'<button type="button" class="btn{style}"{data}{value}>{label}</button>' + _confirm(
        el.get("confirm"), names
    )


def _overflow(el: dict, data: str, names: Names) -> str:
    items = "".join(
        f'<button type="button" class="menu-item"{attrs(option_value=o.get("value"))}>'
        f"{text_object(o.get('text'), names)}</button>"
        for o in _options(el)
    )
    return (
        f'<span class="overflow"{data}><button type="button" class="btn btn-overflow" '
        f'aria-label="More actions">⋯</button><span class="menu" hidden>{items}</span></span>'
    )


def _external(el: dict, data: str, current: dict) -> str:
    chosen = current.get("selected_option") or el.get("initial_option")
    value = attrs(chosen=json.dumps(chosen)) if isinstance(chosen, dict) else ""
    shown = plain((chosen.get("text") or {}).get("text", "")) if isinstance(chosen, dict) else ""
    return (
        f'<span class="ext"{data}{value}><input type="text" class="ext-input" value="{shown}" '
        f'placeholder="{_placeholder(el, "Type to search")}" autocomplete="off">'
        '<span class="ext-options" hidden></span></span>'
    )


def _text_input(el: dict, data: str, current: dict) -> str:
    value = esc((current.get("value") if current else el.get("initial_value")) or "")
    extra = f'{data} placeholder="{_placeholder(el)}"'
    if el.get("max_length"):
        extra += f' maxlength="{esc(el["max_length"])}"'
    if el.get("multiline"):
        return f'<textarea class="text-in" rows="4"{extra}>{value}</textarea>'
    return f'<input type="text" class="text-in" value="{value}"{extra}>'


def _options(el: dict) -> list[dict]:
    if "option_groups" in el:
        return [o for g in el["option_groups"] or [] for o in g.get("options") or []]
    return [o for o in el.get("options") or [] if isinstance(o, dict)]


def _select(el: dict, kind: str, data: str, current: dict, names: Names) -> str:
    if kind == "users_select":
        options = [
            {"value": k, "text": {"type": "plain_text", "text": v}} for k, v in names.users.items()
        ]
    elif kind in ("conversations_select", "channels_select"):
        options = [
            {"value": k, "text": {"type": "plain_text", "text": "#" + v}}
            for k, v in names.channels.items()
        ]
    else:
        options = _options(el)
    chosen = current.get("selected_options") or [current.get("selected_option")]
    if not current:
        chosen = el.get("initial_options") or [el.get("initial_option")]
    picked = {o.get("value") for o in chosen if isinstance(o, dict)}
    picked |= {
        current.get(k) for k in ("selected_user", "selected_conversation", "selected_channel")
    }
    many = " multiple" if kind.startswith("multi_") else ""
    unpicked = "" if picked - {None} else " selected"
    items = [f'<option value="" disabled{unpicked}>{_placeholder(el, "Select an item")}</option>']
    for o in options:
        sel = " selected" if o.get("value") in picked else ""
        items.append(
            f'<option value="{esc(o.get("value", ""))}"{sel}>'
            f"{plain((o.get('text') or {}).get('text', ''))}</option>"
        )
    return f'<select class="select"{data}{many}>{"".join(items)}</select>'


def _choices(el: dict, kind: str, block_id: Any, data: str, current: dict, names: Names) -> str:
    chosen = current.get("selected_options") or [current.get("selected_option")]
    if not current:
        chosen = el.get("initial_options") or [el.get("initial_option")]
    picked = {o.get("value") for o in chosen if isinstance(o, dict)}
    html_type = "checkbox" if kind == "checkboxes" else "radio"
    group = esc(f"{block_id}/{el.get('action_id', '')}")
    items = []
    for o in _options(el):
        checked = " checked" if o.get("value") in picked else ""
        desc = o.get("description")
        more = f'<span class="choice-desc">{text_object(desc, names)}</span>' if desc else ""
        items.append(
            f'<label class="choice"><input type="{html_type}" name="{group}" '
            f'value="{esc(o.get("value", ""))}"{checked}> '
            f"<span>{text_object(o.get('text'), names)}</span>{more}</label>"
        )
    return f'<div class="choices"{data}>{"".join(items)}</div>'


def _confirm(obj: Any, names: Names) -> str:
    """A button's confirm dialog, hidden until the button is pressed."""
    if not isinstance(obj, dict):
        return ""
    danger = " btn-danger" if obj.get("style") == "danger" else " btn-primary"
    return (
        '<div class="confirm" hidden>'
        f'<div class="confirm-title">{text_object(obj.get("title"), names)}</div>'
        f'<div class="confirm-text">{text_object(obj.get("text"), names)}</div>'
        f'<div class="confirm-buttons"><button type="button" class="btn confirm-deny">'
        f"{text_object(obj.get('deny') or {'text': 'Cancel'}, names)}</button>"
        f'<button type="button" class="btn confirm-ok{danger}">'
        f"{text_object(obj.get('confirm') or {'text': 'Yes'}, names)}</button></div></div>"
    )
