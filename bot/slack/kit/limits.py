"""Slack's Block Kit limits, text splitting that respects them, and checks that enforce them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELD_TEXT = 2000
MAX_FIELDS = 10
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTON_URL = 3000
OPTION_TEXT = 75
OPTION_VALUE = 150
MAX_OPTIONS = 100
ID_LENGTH = 255
# Slack fails `msg_blocks_too_long` somewhere around 12k characters of block text.
MESSAGE_CHARS = 11_000
FALLBACK_TEXT = 3000
VIEW_BYTES = 250_000
VIEW_TEXT = 24
ELLIPSIS = "…"

_ENTITY = re.compile(r"&(?:[A-Za-z]+|#\d+);")
# The only control sequences the bot writes on purpose: user and channel mentions and links
# (a channel ID starts with C, G for an older private one, or D for a DM).
_ALLOWED_ANGLE = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+(?:\|[^<>]*)?|(?:https?://|mailto:)[^<>]*)>"
)


def split_text(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Split text into chunks of at most `limit` characters at the gentlest boundary available."""
    if len(text) <= limit:
        return [text] if text else []
    lines = text.split("\n")
    chunks: list[str] = []
    current: str | None = None
    for sep, piece in _pieces(lines, limit):
        if (
            current is not None
            and sep is not None
            and len(current) + len(sep) + len(piece) <= limit
        ):
            current += sep + piece
            continue
        if current is not None:
            chunks.append(current)
        current = piece
    if current is not None:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def _pieces(lines: list[str], limit: int) -> Iterator[tuple[str | None, str]]:
    """Yield (separator before, piece) pairs, each piece within the limit; None forces a break."""
    for gap, start, end, fenced in _units(lines):
        unit = lines[start:end]
        text = "\n".join(unit)
        if len(text) <= limit:
            yield "\n" * (gap + 1), text
        elif fenced and (parts := _split_fence(unit, limit)):
            # A paragraph too big for one chunk starts a new one rather than filling the last.
            yield from ((None, part) for part in parts)
        else:
            pieces = list(_split_lines(unit, limit))
            yield None, pieces[0][1]
            yield from pieces[1:]


def _units(lines: list[str]) -> Iterator[tuple[int, int, int, bool]]:
    """Yield paragraphs as (blank lines before, start, end, is a code fence); fences stay whole."""
    gap, index = 0, 0
    while index < len(lines):
        if not lines[index].strip():
            gap, index = gap + 1, index + 1
            continue
        start, fenced = index, _is_fence(lines[index])
        index += 1
        if fenced:
            while index < len(lines) and not _is_fence(lines[index]):
                index += 1
            index = min(index + 1, len(lines))
        else:
            while index < len(lines) and lines[index].strip() and not _is_fence(lines[index]):
                index += 1
        yield (gap if start else 0), start, index, fenced
        gap = 0


def _is_fence(line: str) -> bool:
    # "```" opens or closes; "```code```" on one line does neither.
    return line.lstrip(" >").startswith("```") and line.count("```") % 2 == 1


def _split_fence(unit: list[str], limit: int) -> list[str]:
    """Cut a code block into several, each closed and reopened, or [] if the limit is too small."""
    opener = unit[0]
    # Slack has no info strings: text after the opening ``` is code, so it is not repeated.
    bare = opener[: len(opener) - len(opener.lstrip(" >"))] + "```"
    closed = len(unit) > 1 and _is_fence(unit[-1])
    inner = unit[1:-1] if closed else unit[1:]
    room = limit - max(len(opener), len(bare)) - len(bare) - 2
    if room < 20:
        return []
    groups: list[str] = []
    for sep, piece in _split_lines(inner, room):
        if groups and len(groups[-1]) + len(sep) + len(piece) <= room:
            groups[-1] += sep + piece
        else:
            groups.append(piece)
    last = unit[-1] if closed else bare
    parts = [
        f"{opener if i == 0 else bare}\n{group}\n{bare if i < len(groups) - 1 else last}"
        for i, group in enumerate(groups)
    ]
    # Code on the fence lines themselves can still overflow: then split it like prose.
    return parts if all(len(part) <= limit for part in parts) else []


def _split_lines(lines: list[str], limit: int) -> Iterator[tuple[str, str]]:
    """Yield (separator, piece) for lines, cutting over-long lines at spaces, then anywhere."""
    for line in lines:
        if len(line) <= limit:
            yield "\n", line
            continue
        first = True
        for sep, word in _split_words(line, limit):
            yield ("\n" if first else sep), word
            first = False


def _split_words(line: str, limit: int) -> Iterator[tuple[str, str]]:
    for word in line.split(" "):
        sep = " "
        while len(word) > limit:
            cut = _safe_cut(word, limit)
            yield sep, word[:cut]
            word, sep = word[cut:], ""
        yield sep, word


def _safe_cut(text: str, limit: int) -> int:
    """The largest cut point <= limit that does not fall inside an `&amp;`-style entity."""
    cut = max(limit, 0)
    amp = text.rfind("&", max(cut - 8, 0), cut)
    if amp > 0 and (entity := _ENTITY.match(text, amp)) and entity.end() > cut:
        return amp
    return cut


def truncate(text: str, limit: int) -> str:
    """Shorten text to `limit` characters with an ellipsis, never cutting an entity or link."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[: max(limit, 0)]
    head = text[: _safe_cut(text, limit - len(ELLIPSIS))]
    # Half a `<url|label>` would show its raw syntax.
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]
    return head.rstrip() + ELLIPSIS


def excerpt(text: str, limit: int) -> str:
    """The first paragraphs of mrkdwn that fit `limit`, with an ellipsis when some were left out."""
    chunks = split_text(text, limit - 2)
    if len(chunks) <= 1:
        return chunks[0] if chunks else ""
    return chunks[0] + "\n" + ELLIPSIS


def block_chars(block: Any) -> int:
    """Characters of text in a block, counted the way `msg_blocks_too_long` seems to."""
    if isinstance(block, dict):
        return sum(
            len(value) if key == "text" and isinstance(value, str) else block_chars(value)
            for key, value in block.items()
        )
    if isinstance(block, list):
        return sum(block_chars(item) for item in block)
    return 0


def chunk_messages(
    blocks: Sequence[dict],
    *,
    text: str,
    max_blocks: int = MAX_BLOCKS,
    max_chars: int = MESSAGE_CHARS,
) -> list[dict]:
    """Spread blocks over as few messages as the limits allow, each with the fallback text."""
    messages: list[list[dict]] = [[]]
    used = 0
    for block in blocks:
        size = block_chars(block)
        if messages[-1] and (len(messages[-1]) >= max_blocks or used + size > max_chars):
            messages.append([])
            used = 0
        messages[-1].append(block)
        used += size
    return [{"text": text, "blocks": chunk} for chunk in messages]


def fitting(
    groups: Sequence[Sequence[dict]], *, blocks: int = MAX_BLOCKS, chars: int = MESSAGE_CHARS
) -> int:
    """How many leading groups of blocks fit together in `blocks` blocks and `chars` characters."""
    used_blocks = used_chars = 0
    for count, group in enumerate(groups):
        used_blocks += len(group)
        used_chars += block_chars(list(group))
        if used_blocks > blocks or used_chars > chars:
            return count
    return len(groups)


def check_message(msg: dict, *, ours: bool = True) -> None:
    """Raise ValueError if a message breaks any Slack limit or carries an unexpected mention.

    `ours=False` leaves out our own rules, which Slack itself would not enforce: stricter sizes
    (fallback text, total block text) and mrkdwn that is always verbatim.
    """
    text = msg.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("message has no fallback text")
    if ours and len(text) > FALLBACK_TEXT:
        raise ValueError(f"fallback text is {len(text)} characters (max {FALLBACK_TEXT})")
    _check_mentions(text, "fallback text")
    blocks = msg.get("blocks") or []
    _check_blocks(blocks, MAX_BLOCKS)
    if ours and (chars := block_chars(blocks)) > MESSAGE_CHARS:
        raise ValueError(f"blocks hold {chars} characters of text (max {MESSAGE_CHARS})")
    if ours:
        check_verbatim(blocks, "blocks")


def check_view(view: dict, *, ours: bool = True) -> None:
    """Raise ValueError if a Home tab or modal breaks any Slack limit (or, with `ours`, ours)."""
    if view.get("type") not in ("home", "modal"):
        raise ValueError(f"unknown view type {view.get('type')!r}")
    _check_blocks(view.get("blocks", []), MAX_VIEW_BLOCKS)
    for key in ("title", "submit", "close"):
        if key in view:
            _check_text(view[key], VIEW_TEXT, f"view {key}", plain=True)
    if view["type"] == "modal" and "title" not in view:
        raise ValueError("a modal needs a title")
    if len(view.get("private_metadata", "")) > 3000:
        raise ValueError("private_metadata is over 3000 characters")
    _check_length(view.get("callback_id"), ID_LENGTH, "callback_id")
    if (size := len(json.dumps(view).encode())) > VIEW_BYTES:
        raise ValueError(f"view is {size} bytes (Slack fails view_too_large)")
    if ours:
        check_verbatim(view, "view")


def _check_blocks(blocks: list[dict], max_blocks: int) -> None:
    if len(blocks) > max_blocks:
        raise ValueError(f"{len(blocks)} blocks (max {max_blocks})")
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"block {index} ({block.get('type')})"
        block_id = block.get("block_id")
        if block_id is not None:
            _check_length(block_id, ID_LENGTH, f"{where} block_id")
            if block_id in seen:
                raise ValueError(f"{where}: duplicate block_id {block_id!r}")
            seen.add(block_id)
        _check_block(block, where)
        try:
            key = json.dumps(block, sort_keys=True)
        except TypeError:  # not plain JSON (a slack_sdk object, say): checked as it is
            problem = _sdk_problem(block)
        else:
            problem = _sdk_problem_of_json(key)
        if problem is not None:
            raise ValueError(f"{where}: {problem}")


def _sdk_problem(block: Any) -> str | None:
    """What slack_sdk's own model of a block finds wrong with it, or None."""
    try:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
    except (SlackObjectFormationError, AttributeError) as exc:
        return str(exc)
    return None


# A block's verdict depends on its content alone, and a step's text or a run's context
# recurs from one message to the next; slack_sdk's parse of each element walks every element
# class, a tenth of a Done press's CPU before (bench/request_profile.py).
@lru_cache(maxsize=4096)
def _sdk_problem_of_json(block_json: str) -> str | None:
    """`_sdk_problem` of the block written as this JSON."""
    return _sdk_problem(json.loads(block_json))


def _check_block(block: dict, where: str) -> None:
    kind = block.get("type")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            raise ValueError(f"{where}: a section needs text or fields")
        if "text" in block:
            _check_text(block["text"], SECTION_TEXT, where)
        fields = block.get("fields", [])
        if len(fields) > MAX_FIELDS:
            raise ValueError(f"{where}: {len(fields)} fields (max {MAX_FIELDS})")
        for field in fields:
            _check_text(field, FIELD_TEXT, f"{where} field")
        if "accessory" in block:
            _check_elements([block["accessory"]], where)
    elif kind == "header":
        _check_text(block["text"], HEADER_TEXT, where, plain=True)
    elif kind == "context":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= CONTEXT_ELEMENTS:
            raise ValueError(f"{where}: {len(elements)} elements (1 to {CONTEXT_ELEMENTS})")
        for element in elements:
            if element.get("type") in ("mrkdwn", "plain_text"):
                _check_text(element, SECTION_TEXT, where)
    elif kind == "actions":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= ACTIONS_ELEMENTS:
            raise ValueError(f"{where}: {len(elements)} elements (1 to {ACTIONS_ELEMENTS})")
        _check_elements(elements, where)
    elif kind == "input":
        if not isinstance(block.get("label"), dict) or not isinstance(block.get("element"), dict):
            raise ValueError(f"{where}: an input needs a label and an element")
        _check_text(block["label"], 2000, f"{where} label", plain=True)
        _check_elements([block["element"]], where)
    elif kind not in ("divider", "image", "rich_text", "file", "video", "markdown"):
        raise ValueError(f"{where}: unknown block type")


def _check_elements(elements: list[dict], where: str) -> None:
    action_ids: set[str] = set()
    for element in elements:
        action_id = element.get("action_id")
        if action_id is not None:
            _check_length(action_id, ID_LENGTH, f"{where} action_id")
            if action_id in action_ids:
                raise ValueError(f"{where}: action_id {action_id!r} twice in one block")
            action_ids.add(action_id)
        if element.get("type") == "button":
            _check_text(element["text"], BUTTON_TEXT, f"{where} button", plain=True)
            _check_length(element.get("value"), BUTTON_VALUE, f"{where} button value")
            _check_length(element.get("url"), BUTTON_URL, f"{where} button url")
        options = [*element.get("options", ())]
        for group in element.get("option_groups", ()):
            options += group.get("options", ())
        if len(options) > MAX_OPTIONS:
            raise ValueError(f"{where}: {len(options)} options (max {MAX_OPTIONS})")
        for option in options:
            _check_text(option["text"], OPTION_TEXT, f"{where} option")
            _check_length(option.get("value"), OPTION_VALUE, f"{where} option value")


def check_verbatim(value: Any, where: str) -> None:
    """Raise ValueError unless every mrkdwn text object in `value` says `verbatim: true`.

    Without it Slack turns names in SOP and feedback text into links and parses some mentions.
    """
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_verbatim(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        if value.get("type") == "mrkdwn" and value.get("verbatim") is not True:
            raise ValueError(f"{where}: mrkdwn without verbatim: true")
        for key, item in value.items():
            check_verbatim(item, f"{where}.{key}")


def _check_text(obj: dict, limit: int, where: str, *, plain: bool = False) -> None:
    if obj.get("type") not in (("plain_text",) if plain else ("plain_text", "mrkdwn")):
        raise ValueError(f"{where}: text type {obj.get('type')!r} not allowed here")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        raise ValueError(f"{where}: empty text")
    _check_length(text, limit, where)
    _check_mentions(text, where)


def _check_length(value: str | None, limit: int, where: str) -> None:
    if value is not None and len(value) > limit:
        raise ValueError(f"{where}: {len(value)} characters (max {limit})")


def _check_mentions(text: str, where: str) -> None:
    # Escaped text has no raw "<"; any left must be one the bot wrote on purpose.
    stray = _ALLOWED_ANGLE.sub("", text)
    if "<" in stray:  # never quoted: the reason may be logged, and the text may be anyone's
        raise ValueError(f"{where}: unexpected control sequence")
