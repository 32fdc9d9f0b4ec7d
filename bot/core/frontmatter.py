"""Read and validate the YAML front matter of an SOP file."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.core import schedule
from bot.core.cast import CastRole, read_cast
from bot.core.model import RETRAIN_CHOICES, SopError, quoted

KNOWN_KEYS: tuple[str, ...] = (
    "title",
    "id",
    "owner",
    "audience",
    "tags",
    "review_every",
    "pass_mark",
    "retrain",
    "cast",
    *schedule.KEYS,
)

ID_RE = re.compile(r"^[a-z0-9-]+$")
USER_ID_RE = re.compile(r"^[UW][A-Z0-9]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CHANNEL_RE = re.compile(r"^#[a-z0-9_-]+$")
HANDLE_RE = re.compile(r"^@[A-Za-z0-9._-]+$")
REVIEW_EVERY_RE = re.compile(r"^(\d+)\s*([dwm])$", re.IGNORECASE)
DAYS_PER_UNIT = {"d": 1, "w": 7, "m": 30}


@dataclass
class FrontMatter:
    """Validated front-matter values; None means "not set", so the caller applies defaults."""

    title: str | None = None
    id: str | None = None
    owner: str | None = None
    audience: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    review_every_days: int | None = None
    pass_mark: int | None = None
    retrain: str | None = None
    cast: tuple[CastRole, ...] = ()
    # bot/core/schedule.py reads these four
    schedule: tuple[str, ...] = ()
    timezone: str | None = None
    due_minutes: int | None = None
    managers: str | None = None
    key_lines: dict[str, int] = field(default_factory=dict)
    invalid_keys: set[str] = field(default_factory=set)


def read_front_matter(
    yaml_text: str, *, path: str, first_line: int
) -> tuple[FrontMatter, list[SopError]]:
    """Parse front-matter YAML whose first line is `first_line` (1-based) of the file."""
    fm = FrontMatter()
    errors: list[SopError] = []

    def error(line: int, message: str) -> None:
        errors.append(SopError(path=path, line=line, message=message))

    alias_line = _first_anchor_or_alias(yaml_text)
    if alias_line is not None:
        # Aliases let a few hundred bytes expand to gigabytes once built or quoted; an SOP's
        # front matter never needs them.
        error(
            first_line + alias_line,
            "front matter may not use YAML anchors or aliases (& and *); write each value out",
        )
        return fm, errors
    loader = yaml.SafeLoader(yaml_text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        problem = getattr(exc, "problem", None) or str(exc)
        error(
            line,
            f"front matter is not valid YAML ({problem}); "
            'quote values that start with # or @, e.g. audience: ["#support", "@team"]',
        )
        return fm, errors
    finally:
        loader.dispose()

    if root is None or data is None:
        return fm, errors
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        error(first_line, "front matter must be `key: value` lines, e.g. `title: Handle a refund`")
        return fm, errors

    nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        line = first_line + key_node.start_mark.line
        if key in nodes:
            error(line, f"front-matter key `{key}` appears twice; keep only one")
        elif key not in KNOWN_KEYS:
            close = difflib.get_close_matches(key.lower(), KNOWN_KEYS, n=1, cutoff=0.6)
            hint = (
                f"did you mean `{close[0]}`?" if close else f"known keys: {', '.join(KNOWN_KEYS)}"
            )
            error(line, f"unknown front-matter key `{key}`; {hint}")
        # YAML keeps the last of duplicate keys, so the last node is the one that counts.
        fm.key_lines[key] = line
        nodes[key] = value_node

    if "cast" in nodes and data.get("cast") is not None:
        fm.cast, problems = read_cast(
            data["cast"], nodes["cast"], first_line=first_line, is_entry=_is_entry
        )
        for node, message in problems:
            fm.invalid_keys.add("cast")
            error(first_line + node.start_mark.line, message)
    for key, read in _READERS.items():
        if key in nodes and data.get(key) is not None:
            for node, message in read(fm, data[key], nodes[key]):
                fm.invalid_keys.add(key)
                error(first_line + node.start_mark.line, message)
    return fm, errors


Problems = list[tuple[yaml.Node, str]]


def _first_anchor_or_alias(yaml_text: str) -> int | None:
    """The 0-based line of the first anchor or alias; None without (or on a YAML error)."""
    try:
        # libyaml's parser when installed: this scan needs only events, not error messages.
        for event in yaml.parse(yaml_text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return event.start_mark.line
    except yaml.YAMLError:
        return None
    return None


def _read_title(fm: FrontMatter, value: Any, node: yaml.Node) -> Problems:
    if isinstance(value, (dict, list)):
        return [(node, "title must be one line of text, e.g. `title: Handle a refund request`")]
    fm.title = str(value).strip() or None
    return []


def _read_id(fm: FrontMatter, value: Any, node: yaml.Node) -> Problems:
    text = str(value).strip() if isinstance(value, (str, int)) else ""
    if isinstance(value, bool) or not ID_RE.match(text):
        return [
            (
                node,
                f"id {quoted(value)} may use only lowercase a-z, 0-9 and -, "
                "e.g. `id: refund-request`",
            )
        ]
    fm.id = text
    return []


def _read_owner(fm: FrontMatter, value: Any, node: yaml.Node) -> Problems:
    text = value.strip() if isinstance(value, str) else ""
    if not (USER_ID_RE.match(text) or EMAIL_RE.match(text)):
        message = (
            f"owner {quoted(value)} must be a Slack user ID like U024BE7LH or an e-mail address"
        )
        return [(node, message)]
    fm.owner = text
    return []


def _read_audience(fm: FrontMatter, value: Any, node: yaml.Node) -> Problems:
    problems: Problems = []
    audience: list[str] = []
    for entry, entry_node in _as_list(value, node):
        text = entry.strip() if isinstance(entry, str) else ""
        if entry is None:
            # An unquoted `- #support` is a YAML comment, so the entry arrives empty.
            problems.append((entry_node, 'empty audience entry; quote channels: - "#support"'))
        elif any(p.match(text) for p in (CHANNEL_RE, HANDLE_RE, USER_ID_RE, EMAIL_RE)):
            if text not in audience:
                audience.append(text)
        else:
            message = (
                f"audience entry {quoted(entry)} must be a #channel (lowercase), an @handle, "
                "a user ID like U024BE7LH or an e-mail address"
            )
            problems.append((entry_node, message))
    fm.audience = tuple(audience)
    return problems


def _is_entry(text: str) -> bool:
    """Whether `text` is an audience-style entry: #channel, @handle, user ID or e-mail."""
    return any(p.match(text) for p in (CHANNEL_RE, HANDLE_RE, USER_ID_RE, EMAIL_RE))


def _read_tags(fm: FrontMatter, value: Any, node: yaml.Node) -> Problems:
    problems: Problems = []
    tags: list[str] = []
    for entry, entry_node in _as_list(value, node):
        if isinstance(entry, bool) or not isinstance(entry, (str, int)):
            problems.append(
                (entry_node, f"tag {quoted(entry)} must be a word, e.g. tags: [support]")
            )
            continue
        tag = str(entry).strip().lower()
        if tag and tag not in tags:
            tags.append(tag)
    fm.tags = tuple(tags)
    return problems


def _read_review_every(fm: FrontMatter, value: Any, node: yaml.Node) -> Problems:
    match = REVIEW_EVERY_RE.match(value.strip()) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        message = (
            f"review_every {quoted(value)} must be a number of days, weeks or months (of 30 days), "
            "e.g. 90d, 12w or 6m"
        )
        return [(node, message)]
    fm.review_every_days = int(match.group(1)) * DAYS_PER_UNIT[match.group(2).lower()]
    return []


def _read_pass_mark(fm: FrontMatter, value: Any, node: yaml.Node) -> Problems:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        message = f"pass_mark {quoted(value)} must be a whole percentage from 0 to 100, e.g. 80"
        return [(node, message)]
    fm.pass_mark = value
    return []


def _read_retrain(fm: FrontMatter, value: Any, node: yaml.Node) -> Problems:
    text = value.strip().lower() if isinstance(value, str) else ""
    if text not in RETRAIN_CHOICES:
        return [(node, f"retrain {quoted(value)} must be one of: {', '.join(RETRAIN_CHOICES)}")]
    fm.retrain = text
    return []


def _as_list(value: Any, node: yaml.Node) -> list[tuple[Any, yaml.Node]]:
    """Pair a YAML list's entries with their nodes; a single scalar counts as a one-entry list."""
    if isinstance(value, list) and isinstance(node, yaml.SequenceNode):
        return list(zip(value, node.value, strict=True))
    return [(value, node)]


_READERS: dict[str, Callable[[FrontMatter, Any, yaml.Node], Problems]] = {
    "title": _read_title,
    "id": _read_id,
    "owner": _read_owner,
    "audience": _read_audience,
    "tags": _read_tags,
    "review_every": _read_review_every,
    "pass_mark": _read_pass_mark,
    "retrain": _read_retrain,
    **schedule.READERS,
}
