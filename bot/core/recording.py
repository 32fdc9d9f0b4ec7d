"""A recorded SOP: Slack messages as steps, rendered to a complete SOP file."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.core.durations import MAX_STEP_SECONDS, parse_step_time, step_time_line
from bot.core.frontmatter import USER_ID_RE
from bot.core.parse import MAX_ID, MAX_ROLE, MAX_TITLE, ROLE_LINE_RE, TIME_LINE_RE

DEFAULT_SLUG = "recorded-sop"
BACKGROUND = "_Why this SOP exists and when to use it: replace this paragraph._"
OUTCOME = "_What is true once the SOP is done: replace this paragraph._"
ROLE_PLACEHOLDER = "what this role is responsible for (replace)"
AUDIENCE_COMMENT = (
    '# who must know this SOP: "#channel", "@group", user IDs or e-mails, e.g. ["#support"]'
)

_SLACK_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
_BULLET = re.compile(r"^(\s*)[•◦▪‣]\s?")
# Slack's *bold* (Markdown would read it as italics); `**x**`, `2*3*4` and `* item` stay.
_SLACK_BOLD = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*\n]*?[^\s*\\])\*(?![\w*])")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING_LIKE = re.compile(r"^( {0,3})(#)")
_UNDERLINE = re.compile(r"^( {0,3})([=-]+\s*)$")
# HTML blocks that run until an end marker, not a blank line: they could swallow the sections.
_OPEN_HTML = re.compile(r"^( {0,3})(<(?:!|\?|script|pre|style|textarea))", re.IGNORECASE)


@dataclass(frozen=True)
class RecordedStep:
    """One step as the recorder posted it, and the seconds since the message before it."""

    text: str
    seconds: float


@dataclass(frozen=True)
class StepParts:
    """A step message taken apart: title, role, its own `Time:` (seconds), Markdown body."""

    title: str
    role: str | None
    seconds: int | None
    body: tuple[str, ...]


def from_slack(text: str) -> str:
    """A Slack message's text as Markdown: entities decoded, links, bullets and bold written
    out."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith(("@", "#", "!")):
            if target.startswith("#") and label:
                return f"#{label}"
            if target.startswith("!"):
                return "@" + (label or target[1:].split("^")[0])
            return f"<{target}>"  # a user mention stays one
        return f"[{label}]({target})" if label else f"<{target}>"

    text = _SLACK_LINK.sub(link, text.replace("\r\n", "\n").replace("\r", "\n"))
    # Slack escapes only these three in message text.
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    lines = (_BULLET.sub(r"\1- ", line) for line in text.split("\n"))
    return "\n".join(_SLACK_BOLD.sub(r"**\1**", line) for line in lines)


def one_line(text: str) -> str:
    """Whitespace collapsed to single spaces."""
    return " ".join(text.split())


def step_parts(text: str) -> StepParts:
    """First line the title, then `Role:`/`Time:` lines (either order), then the body."""
    lines = from_slack(text).split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    title = one_line(lines.pop(0)) if lines else ""
    role: str | None = None
    seconds: int | None = None
    while True:
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is None:
            break
        role_match, time_match = ROLE_LINE_RE.match(lines[first]), TIME_LINE_RE.match(lines[first])
        if role_match and role is None:
            role = clean_role(role_match.group(1))
        elif time_match and seconds is None and parse_step_time(_bare(time_match.group(1))):
            seconds = parse_step_time(_bare(time_match.group(1)))
        else:
            break
        del lines[first]
    if len(title) > MAX_TITLE:  # the whole first line stays, as the body's first line
        lines.insert(0, title)
        title = title[: MAX_TITLE - 1].rsplit(" ", 1)[0].rstrip() + "…"
    return StepParts(title=title, role=role, seconds=seconds, body=tuple(_trimmed(lines)))


def _bare(value: str) -> str:
    return value.strip().strip("*_").strip()


def clean_role(written: str) -> str | None:
    """A role name that reads back as written in `## Roles` and on a `Role:` line."""
    name = one_line(written.replace("*", " ").replace("_", " ").replace(":", " "))
    name = name.strip(" -—–")[:MAX_ROLE].strip()
    return name or None


def _trimmed(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return [line.rstrip().replace("\t", "    ") for line in lines[start:end]]


def safe_body(lines: Sequence[str]) -> list[str]:
    """Body lines that stay inside their step: nothing can open a section, step or front matter.

    Headings, setext underlines, `Role:`/`Time:` lines and HTML blocks that only an end marker
    closes are escaped with a backslash (Markdown shows the character); an open code fence is
    closed at the end of the step.
    """
    out: list[str] = []
    fence: str | None = None
    for line in lines:
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and _closes(opened.group(1), fence, line):
                fence = None
            out.append(line)
            continue
        if opened and not (opened.group(1)[0] == "`" and "`" in line.strip()[len(opened[1]) :]):
            fence = opened.group(1)
            out.append(line)
            continue
        for pattern in (_HEADING_LIKE, _UNDERLINE, _OPEN_HTML):
            line = pattern.sub(r"\1\\\2", line, count=1)
        if ROLE_LINE_RE.match(line) or TIME_LINE_RE.match(line):
            line = line.replace(":", "\\:", 1)
        out.append(line)
    if fence is not None:
        out.append(fence)
    return out


def _closes(marker: str, fence: str, line: str) -> bool:
    """Whether a fence line `marker...` closes the code block opened by `fence`."""
    rest = line.strip()[len(marker) :].strip()
    return marker[0] == fence[0] and len(marker) >= len(fence) and not rest


def step_title(title: str, number: int) -> str:
    """A title a `###` heading keeps whole (a closing `#` run would be dropped)."""
    title = one_line(title).lstrip("#").strip() or f"Step {number}"
    return title[:-1] + "\\#" if title.endswith("#") else title


def slug_for(title: str, taken: Collection[str]) -> str:
    """An `id` from the title (lowercase a-z, 0-9, -) that none of `taken` has."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or DEFAULT_SLUG
    base = base[: MAX_ID - 4].strip("-") or DEFAULT_SLUG
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def step_seconds(parts: StepParts, recorded: float) -> int:
    """The step's `Time:`: the one its message gave, else the recorded time (within bounds)."""
    if parts.seconds is not None:
        return parts.seconds
    return min(max(round(recorded), 1), MAX_STEP_SECONDS)


def render_sop(*, title: str, slug: str, owner: str | None, steps: Sequence[RecordedStep]) -> str:
    """The complete SOP file of a recording (passes `sopbot sops check`)."""
    title = one_line(title)[:MAX_TITLE] or "Recorded SOP"
    parts = [step_parts(step.text) for step in steps]
    roles: list[str] = []
    for part in parts:
        if part.role and part.role.lower() not in (r.lower() for r in roles):
            roles.append(part.role)
    front = [
        "---",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        f"id: {slug}",
        *([f"owner: {owner}"] if owner and USER_ID_RE.match(owner) else []),
        f"audience: []  {AUDIENCE_COMMENT}",
        "review_every: 90d",
        "---",
    ]
    lines = [*front, f"# {step_title(title, 0)}", "", BACKGROUND, ""]
    if roles:
        lines += ["## Roles", *(f"- **{r}**: {ROLE_PLACEHOLDER}" for r in roles), ""]
    lines.append("## Steps")
    for number, (part, step) in enumerate(zip(parts, steps, strict=True), start=1):
        role = next((r for r in roles if part.role and r.lower() == part.role.lower()), None)
        lines += [f"### {number}. {step_title(part.title, number)}"]
        lines += [f"Role: {role}"] if role else []
        lines += [f"Time: {step_time_line(step_seconds(part, step.seconds))}"]
        lines += [*safe_body(part.body), ""]
    lines += ["## Outcome", OUTCOME, ""]
    return "\n".join(lines)
