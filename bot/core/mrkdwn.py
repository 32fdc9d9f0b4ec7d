"""Render CommonMark (plus tables and strikethrough) to Slack mrkdwn with all text escaped.

Security model: every character of author text goes through `escape`, so the only raw
`<`, `>` in the output are links built here (`<http...|label>`) and the `> ` quote marker
at the start of a line. That makes `<!channel>`, `<@U123>`, `<!subteam^S1>` impossible.

Decisions worth knowing:
- Links and images become `<url|label>` only for http, https and mailto. Any other scheme
  (javascript:, slack:, data:, relative paths, anchors) renders the label alone; the URL is
  dropped because it is either dangerous or meaningless outside the source repository.
- Literal `*`, `_`, `~` that Slack could read as formatting (at a word edge next to a
  non-space) and every literal backtick are replaced by look-alikes (see `_LOOKALIKE`).
  Slack has no escape for these; a zero-width space is invisible but its effect depends on
  Slack's parser, whereas a look-alike can never format. Markers inside words (`MAX_RETRIES`,
  `2*3`) are left alone because Slack does not format there.
- `|` in link labels and table cells becomes `¦` because `|` is a separator in both.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

from bot.core.escape import escape

__all__ = ["escape", "to_mrkdwn"]

_MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")

_SAFE_SCHEME = re.compile(r"(?i)(?:https?://|mailto:)")
_LOOKALIKE = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_TICK_LOOKALIKE = str.maketrans({"`": "\u02cb"})
# A marker can open formatting when it follows a non-alphanumeric and precedes a non-space,
# and close it when it follows a non-space and precedes a non-alphanumeric. Text is rendered
# in runs, so the run's edges count as "could be anything" (the safe assumption).
_FORMATTING_CHAR = re.compile(r"`|(?<![^\W_])[*_~](?!\s)|(?<!\s)[*_~](?![^\W_])")
_BACKTICK_RUN = re.compile(r"`{3,}")
_TASK = re.compile(r"\[([ xX])\](?: +|$)")
_WRAP_SPACE = re.compile(r"(\s*)(.*?)(\s*)", re.DOTALL)
_MARKERS = {"strong": "*", "em": "_", "s": "~"}
_INDENT = "    "
_RULE = "───"


# SOP steps are rendered again for every run and press; parsing is most of a step message's
# cost, and the same few hundred texts come back (bench/ack_latency.py).
@lru_cache(maxsize=1024)
def to_mrkdwn(markdown: str) -> str:
    """Render CommonMark to Slack mrkdwn, escaping all text (results are remembered)."""
    root = SyntaxTreeNode(_MD.parse(markdown))
    return _tidy(_blocks(root.children, "\n\n"))


def _text(raw: str) -> str:
    """Escape a run of author text and defuse characters Slack would read as formatting."""
    return _FORMATTING_CHAR.sub(lambda m: m.group().translate(_LOOKALIKE), escape(raw))


def _verbatim(raw: str) -> str:
    """Escape text for a ``` block; a run of 3+ backticks would close the block early."""
    return _BACKTICK_RUN.sub(lambda m: m.group().translate(_LOOKALIKE), escape(raw))


def _blocks(nodes: list[SyntaxTreeNode], sep: str) -> str:
    return sep.join(part for part in (_block(node) for node in nodes) if part)


def _block(node: SyntaxTreeNode) -> str:
    kind = node.type
    if kind == "paragraph":
        return _inline(node.children[0]) if node.children else ""
    if kind == "heading":
        title = _plain(node.children[0]).strip() if node.children else ""
        return f"*{_text(title)}*" if title else ""
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "blockquote":
        return _quote(_blocks(node.children, "\n\n"))
    if kind in ("fence", "code_block"):
        return "```\n" + _verbatim(node.content.rstrip("\n")) + "\n```"
    if kind == "table":
        return _table(node)
    if kind == "html_block":
        return _text(node.content.rstrip("\n"))
    if kind == "hr":
        return _RULE
    # Unknown block types (future plugins) still show their text, escaped.
    return _text(node.content)


def _quote(body: str) -> str:
    # Slack has no nested quotes: a line that already carries our marker keeps just one.
    # Only our own marker can start a line with a raw ">" because all text is escaped.
    lines = body.split("\n")
    return "\n".join(line if line.startswith(">") else f"> {line}".rstrip() for line in lines)


def _list(node: SyntaxTreeNode) -> str:
    ordered = node.type == "ordered_list"
    number = int(node.attrs.get("start", 1))
    # markdown-it hides the paragraphs of tight lists; a loose list keeps blank lines.
    loose = any(
        child.type == "paragraph" and not child.hidden
        for item in node.children
        for child in item.children
    )
    items = []
    for offset, item in enumerate(node.children):
        box = _take_task_box(item)
        bullet = f"{number + offset}." if ordered else "•"
        if box:
            bullet = f"{bullet} {box}" if ordered else box
        body = _blocks(item.children, "\n\n" if loose else "\n")
        first, *rest = body.split("\n") if body else [""]
        lines = [f"{bullet} {first}".rstrip()]
        lines += [_INDENT + line if line else line for line in rest]
        items.append("\n".join(lines))
    return ("\n\n" if loose else "\n").join(items)


def _take_task_box(item: SyntaxTreeNode) -> str | None:
    """Strip a leading `[ ]`/`[x]` from a list item and return the box to show instead."""
    para = item.children[0] if item.children else None
    if para is None or para.type != "paragraph" or not para.children:
        return None
    inline = para.children[0]
    first = inline.children[0] if inline.children else None
    match = _TASK.match(first.content) if first is not None and first.type == "text" else None
    if match is None or first.token is None:
        return None
    first.token.content = first.content[match.end() :]
    return "☑" if match.group(1) in "xX" else "☐"


def _inline(node: SyntaxTreeNode, active: frozenset[str] = frozenset()) -> str:
    return "".join(_inline_part(child, active) for child in node.children)


def _inline_part(node: SyntaxTreeNode, active: frozenset[str]) -> str:
    kind = node.type
    if kind in ("text", "html_inline"):
        return _text(node.content)
    if kind in ("softbreak", "hardbreak"):
        return "\n"
    if kind == "code_inline":
        # A backtick can't live inside a Slack code span; show a look-alike instead.
        return f"`{escape(node.content).translate(_TICK_LOOKALIKE)}`"
    if kind in _MARKERS:
        inner = _inline(node, active | {kind})
        # Slack breaks on doubled markers (`*a *b* c*`), so nested same-kind styles merge.
        return inner if kind in active else _wrap(_MARKERS[kind], inner)
    if kind == "link":
        return _link(str(node.attrs.get("href", "")), _plain(node))
    if kind == "image":
        return _link(str(node.attrs.get("src", "")), _plain(node))
    return _text(node.content)


def _wrap(marker: str, inner: str) -> str:
    # Slack formatting neither spans lines nor tolerates spaces just inside the markers.
    lines = []
    for line in inner.split("\n"):
        lead, core, trail = _WRAP_SPACE.fullmatch(line).groups()
        lines.append(f"{lead}{marker}{core}{marker}{trail}" if core else line)
    return "\n".join(lines)


def _link(url: str, label: str) -> str:
    label = " ".join(label.split())
    shown = _text(label).replace("|", "¦")
    if not _SAFE_SCHEME.match(url):
        return shown
    if not label or label == url:  # autolinks: Slack shows the URL itself
        return f"<{_encode_url(url)}>"
    return f"<{_encode_url(url)}|{shown}>"


def _encode_url(url: str) -> str:
    """Percent-encode anything that could end `<url|label>` early, then escape `&`."""
    encoded = "".join(
        f"%{ord(ch):02X}" if ch in '|<>"`' or ord(ch) <= 0x20 or ord(ch) == 0x7F else ch
        for ch in url
    )
    return encoded.replace("&", "&amp;")


def _plain(node: SyntaxTreeNode) -> str:
    """Unescaped text of an inline subtree with all markup stripped."""
    if node.type in ("text", "code_inline", "html_inline"):
        return node.content
    if node.type in ("softbreak", "hardbreak"):
        return " "
    return "".join(_plain(child) for child in node.children)


def _table(node: SyntaxTreeNode) -> str:
    rows = [
        [" ".join(_plain(cell).split()).replace("|", "¦") for cell in row.children]
        for section in node.children
        for row in section.children
    ]
    if not rows:
        return ""
    header = node.children[0].children[0].children
    aligns = [str(cell.attrs.get("style", "")).removeprefix("text-align:") for cell in header]
    count = len(aligns)
    rows = [(row + [""] * count)[:count] for row in rows]
    widths = [max(3, *(_width(row[col]) for row in rows)) for col in range(count)]

    def line(cells: list[str]) -> str:
        padded = [_pad(cell, widths[col], aligns[col]) for col, cell in enumerate(cells)]
        return " | ".join(padded).rstrip()

    rule = "-|-".join("-" * width for width in widths)
    lines = [line(rows[0]), rule, *(line(row) for row in rows[1:])]
    # Widths are measured before escaping: Slack shows `&lt;` as one character.
    return "```\n" + _verbatim("\n".join(lines)) + "\n```"


def _width(text: str) -> int:
    # Wide (CJK) characters take two monospace cells; combining marks take none.
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def _pad(text: str, width: int, align: str) -> str:
    gap = width - _width(text)
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def _tidy(text: str) -> str:
    """Strip trailing spaces and collapse blank-line runs, leaving code blocks untouched."""
    out: list[str] = []
    in_code = False
    for line in text.split("\n"):
        # Only our own fences can be a bare ``` line: text and code have backticks defused.
        if line.lstrip(" >") == "```":
            in_code = not in_code
        elif in_code:
            out.append(line)
            continue
        line = line.rstrip()
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")
