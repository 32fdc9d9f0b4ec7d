"""Slack mrkdwn and text objects as HTML: every character escaped, links only to safe URLs.

Input is what Slack received (block dicts, text objects); output is an HTML fragment that the
page inserts as is. Every piece of text goes through `html.escape` after Slack's own three
entities are decoded, links only ever get http(s) or mailto URLs, and images only http(s) URLs
or this playground's own file route, so SOP or user text can never become markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_FENCE = re.compile(r"```(.*?)```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_SPECIAL = re.compile(r"<([^<>\n]*)>")
_HELD = re.compile(r"\x00(\d+)\x00")
_SAFE_URL = re.compile(r"^(?:https?://|mailto:)[^\s\"'<>`]+$", re.IGNORECASE)
_IMAGE_URL = re.compile(r"^https?://[^\s\"'<>`]+$", re.IGNORECASE)
_FILE_ID = re.compile(r"^F[A-Z0-9]{2,}$")
# A marker opens after a non-alphanumeric and before a non-space, and closes the other way
# round; markers inside words (`snake_case`, `2*3`) never format, as in Slack.
_EMPHASIS = [
    (re.compile(rf"(?<![^\W_]){m}(?![\s{m}])(.+?)(?<![\s{m}]){m}(?![^\W_])"), tag)
    for m, tag in ((r"\*", "b"), ("_", "i"), ("~", "s"))
]
_EMOJI = {
    "white_check_mark": "✅", "heavy_check_mark": "✔️", "x": "❌", "warning": "⚠️",
    "tada": "🎉", "bar_chart": "📊", "chart_with_upwards_trend": "📈", "memo": "📝",
    "bell": "🔔", "books": "📚", "point_right": "👉", "rotating_light": "🚨", "clock9": "🕘",
    "hourglass": "⌛", "speech_balloon": "💬", "bulb": "💡", "mortar_board": "🎓", "star": "⭐",
}  # fmt: skip
_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")


@dataclass(frozen=True)
class Names:
    """Display names for IDs in mentions (users, channels, user groups) and select menus."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)


NO_NAMES = Names()


def esc(text: Any) -> str:
    """HTML-escape any value for text or a quoted attribute."""
    return html.escape(str(text), quote=True)


def unslack(text: str) -> str:
    """Decode the three entities Slack text uses; nothing else is an entity in Slack."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _emoji(escaped: str) -> str:
    return _SHORTCODE.sub(lambda m: _EMOJI.get(m[1], m[0]), escaped)


def plain(text: Any, *, emoji: bool = True) -> str:
    """A plain_text string as HTML."""
    shown = esc(unslack(str(text or "")))
    return _emoji(shown) if emoji else shown


def mrkdwn(text: Any, names: Names = NO_NAMES) -> str:
    """Slack mrkdwn as HTML: *b* _i_ ~s~ `code`, ``` blocks, > quotes, links and mentions."""
    text = str(text or "").replace("\x00", "")
    out, pos = [], 0
    for fence in _FENCE.finditer(text):
        # Slack swallows the line breaks that touch a ``` fence.
        out.append(_lines(text[pos : fence.start()].removesuffix("\n"), names))
        body = fence[1].strip("\n")
        out.append(f'<pre class="mk-pre">{_inline(body, names, formatting=False)}</pre>')
        pos = fence.end() + (text[fence.end() : fence.end() + 1] == "\n")
    out.append(_lines(text[pos:], names))
    return "".join(out)


def _lines(text: str, names: Names) -> str:
    """Lines joined by <br>; runs of lines starting with `>` become one blockquote."""
    out: list[str] = []
    quote: list[str] = []

    def flush() -> None:
        if quote:
            out.append(f'<blockquote class="mk-quote">{"<br>".join(quote)}</blockquote>')
            quote.clear()

    for line in text.split("\n"):
        if line.startswith(">"):
            quote.append(_inline(line[1:].removeprefix(" "), names))
            continue
        flush()
        if out and not out[-1].startswith("<blockquote"):
            out.append("<br>")
        out.append(_inline(line, names))
    flush()
    return "".join(out)


def _inline(text: str, names: Names, *, formatting: bool = True) -> str:
    held: list[str] = []

    def hold(fragment: str) -> str:
        held.append(fragment)
        return f"\x00{len(held) - 1}\x00"

    if formatting:
        text = _CODE.sub(
            lambda m: hold(f'<code class="mk-code">{plain(m[1], emoji=False)}</code>'), text
        )
    text = _SPECIAL.sub(lambda m: hold(special(m[1], names)), text)
    shown = esc(unslack(text))
    if formatting:
        shown = _emoji(shown)
        for pattern, tag in _EMPHASIS:
            shown = pattern.sub(rf"<{tag}>\1</{tag}>", shown)
    return _HELD.sub(lambda m: held[int(m[1])], shown)


def special(inner: str, names: Names = NO_NAMES) -> str:
    """One `<…>` sequence: a mention, a broadcast, a date, or a link (http, https, mailto)."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        name = names.users.get(target[1:]) or label or target[1:]
        return f'<span class="mention">@{plain(name, emoji=False)}</span>'
    if target.startswith("#"):
        name = names.channels.get(target[1:]) or label or target[1:]
        return f'<span class="mention">#{plain(name, emoji=False)}</span>'
    if target.startswith("!"):
        command = target[1:]
        if command in ("here", "channel", "everyone"):
            return f'<span class="mention mention-all">@{command}</span>'
        if command.startswith("subteam^"):
            group = command.split("^", 1)[1]
            name = label or "@" + names.groups.get(group, group)
            return f'<span class="mention">{plain(name, emoji=False)}</span>'
        return plain(label or command, emoji=False)
    url = unslack(target)
    shown = label or (url.removeprefix("mailto:") if url.lower().startswith("mailto:") else url)
    if not _SAFE_URL.match(url):
        return plain(shown, emoji=False)
    return (
        f'<a class="mk-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
        f"{plain(shown, emoji=False)}</a>"
    )


def text_object(obj: Any, names: Names = NO_NAMES) -> str:
    """A text object ({type: mrkdwn|plain_text, text}) as HTML."""
    if not isinstance(obj, dict):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn(obj.get("text", ""), names)
    return plain(obj.get("text", ""), emoji=obj.get("emoji", True) is not False)


def image_src(url: Any = None, slack_file: Any = None) -> str | None:
    """A URL the page may load as an image: http(s), or an uploaded file served by the page."""
    if isinstance(slack_file, dict):
        file_id = str(slack_file.get("id") or "")
        return f"/play/files/{file_id}" if _FILE_ID.match(file_id) else None
    return str(url) if isinstance(url, str) and _IMAGE_URL.match(url) else None


def attrs(**values: Any) -> str:
    """` data-x="…"` attributes for the values that are set."""
    return "".join(
        f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in values.items() if v is not None
    )
