"""Edit one step of an SOP file's Markdown: every other byte of the file stays as it was."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.core.parse import ROLE_LINE_RE, STEP_NUMBER_RE, TIME_LINE_RE, section_span, step_spans

# A quiz question's `(step N)` tie, at the end of its line (options and explanations aside).
QUIZ_TIE_RE = re.compile(r"(\s*\(\s*step\s+)(\d+)(\s*\)\s*)$", re.IGNORECASE)
HEADING_RE = re.compile(r"^( {0,3}###[ \t]+)(.*?)(?:[ \t]+#+)?[ \t]*$")
MAX_BODY = 3000


class NotEditable(ValueError):
    """The file's steps cannot be edited from Slack (say, a numbered list); the text says why."""


@dataclass(frozen=True)
class StepDraft:
    """A step as the editor shows it: title, role (None for none) and its Markdown body."""

    title: str
    role: str | None
    body: str


@dataclass(frozen=True)
class _Layout:
    """Where the parts of one step sit in the file's lines (0-based, end exclusive)."""

    start: int
    end: int
    role_line: int | None
    body_start: int
    body_end: int


class _File:
    """A file's text as lines, remembering its line ending and byte-order mark."""

    def __init__(self, text: str) -> None:
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text.removeprefix("\ufeff")
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.lines = text.split(self.newline)
        spans = step_spans(text)
        if spans is None:
            raise NotEditable(
                "this SOP's steps are a numbered list; only `### Step` headings can be "
                "edited from Slack. Edit the file, or rewrite its steps as `###` headings"
            )
        self.spans = spans

    def text(self, lines: list[str]) -> str:
        return self.bom + self.newline.join(lines)

    def layout(self, number: int) -> _Layout:
        if not 1 <= number <= len(self.spans):
            raise NotEditable(f"the SOP has {len(self.spans)} step(s); there is no step {number}")
        start, end = self.spans[number - 1]
        body_end = end
        while body_end > start + 1 and not self.lines[body_end - 1].strip():
            body_end -= 1
        first = next((i for i in range(start + 1, body_end) if self.lines[i].strip()), body_end)
        role_line = None
        after = self._next_text(first, body_end)
        # `Time:` written above `Role:` stays where it is, as written; the role is edited.
        if first < body_end and TIME_LINE_RE.match(self.lines[first]) and after < body_end:
            first = after if ROLE_LINE_RE.match(self.lines[after]) else first
        if first < body_end and ROLE_LINE_RE.match(self.lines[first]):
            role_line = first
            first = self._next_text(first, body_end)
        return _Layout(start, end, role_line, first, body_end)

    def _next_text(self, after: int, end: int) -> int:
        """The first non-blank line after `after`, or `end`."""
        return next((i for i in range(after + 1, end) if self.lines[i].strip()), end)


def _heading_title(line: str) -> tuple[str, str]:
    """(`### 1. ` as written, the title without its number)."""
    match = HEADING_RE.match(line)
    if match is None:
        return "### ", line.strip()
    rest = match.group(2)
    number = STEP_NUMBER_RE.match(rest)
    cut = number.end() if number else 0
    return match.group(1) + rest[:cut], rest[cut:].strip()


def _role_of(line: str) -> str:
    match = ROLE_LINE_RE.match(line)
    return match.group(1).strip().strip("*_").strip() if match else ""


def one_line(text: str) -> str:
    """A title or role as one line, without surrounding space."""
    return " ".join(text.split())


def body_lines(body: str) -> list[str]:
    """The draft's body as lines, without blank lines at either end."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def step_draft(text: str, number: int) -> StepDraft:
    """Step `number` as written in the file, for the editor."""
    file = _File(text)
    at = file.layout(number)
    role = _role_of(file.lines[at.role_line]) if at.role_line is not None else None
    _, title = _heading_title(file.lines[at.start])
    body = "\n".join(file.lines[at.body_start : at.body_end])
    return StepDraft(title=title, role=role or None, body=body)


def step_count(text: str) -> int:
    """How many `###` steps the file has."""
    return len(_File(text).spans)


def replace_step(text: str, number: int, draft: StepDraft) -> str:
    """The file with step `number` rewritten from `draft`; unchanged parts keep their bytes."""
    file = _File(text)
    at = file.layout(number)
    lines = file.lines
    old = step_draft(text, number)
    prefix, _ = _heading_title(lines[at.start])
    title, role = one_line(draft.title), one_line(draft.role or "") or None
    heading = [lines[at.start] if title == old.title else prefix + title]
    # Lines between the heading and the body: blank lines and the Role line, as written.
    lead = lines[at.start + 1 : at.body_start]
    if role != old.role:
        if at.role_line is not None:
            index = at.role_line - at.start - 1
            lead = lead[:index] + ([f"Role: {role}"] if role else []) + lead[index + 1 :]
        elif role:
            lead = [f"Role: {role}", *lead]
    body = lines[at.body_start : at.body_end]
    if body_lines(draft.body) != body_lines(old.body):
        body = body_lines(draft.body)
    tail = lines[at.body_end : at.end]
    return file.text([*lines[: at.start], *heading, *lead, *body, *tail, *lines[at.end :]])


def insert_step(text: str, after: int, draft: StepDraft) -> str:
    """The file with a new step after step `after` (0 = first); other lines unchanged."""
    file = _File(text)
    lines = file.lines
    role = one_line(draft.role or "")
    block = [f"### {one_line(draft.title)}", *([f"Role: {role}"] if role else [])]
    block += body_lines(draft.body)

    def later(n: int) -> int:
        return n + 1 if n > after else n

    if after == 0:
        at = file.layout(1)
        return _retie(file.text([*lines[: at.start], *block, "", *lines[at.start :]]), later)
    at = file.layout(after)
    # After the last line of step `after`; its blank lines then separate the new step.
    gap = [""] if at.body_end == at.end and at.end < len(lines) else []
    insert_at = at.body_end
    return _retie(file.text([*lines[:insert_at], "", *block, *gap, *lines[insert_at:]]), later)


def remove_step(text: str, number: int) -> str:
    """The file without step `number`'s lines; a quiz question tied to it loses its tie."""
    file = _File(text)
    at = file.layout(number)
    new = file.text([*file.lines[: at.start], *file.lines[at.end :]])
    return _retie(new, lambda n: None if n == number else n - 1 if n > number else n)


def _retie(text: str, renumber: Callable[[int], int | None]) -> str:
    """Quiz questions' `(step N)` renumbered as the steps moved; None drops the tie."""
    span = section_span(text, "quiz")
    if span is None:
        return text
    file = _File(text)
    lines = list(file.lines)
    for index in range(*span):
        line = lines[index]
        match = QUIZ_TIE_RE.search(line)
        if match is None or line.lstrip().startswith((">", "- [", "* [", "+ [")):
            continue
        number = renumber(int(match.group(2)))
        tie = "" if number is None else f"{match.group(1)}{number}{match.group(3)}"
        lines[index] = line[: match.start()] + tie
    return file.text(lines)


def line_diff(before: str, after: str) -> list[str]:
    """The changed lines as `- old` / `+ new`, in file order, without context."""
    out = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0, lineterm=""):
        if line[:1] in "-+" and not line.startswith(("---", "+++")):
            out.append(f"{line[0]} {line[1:]}".rstrip())
    return out


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(`=`, `-` or `+`, words) runs that turn `before` into `after`, word by word."""
    old, new = before.split(), after.split()
    runs: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append(("=", " ".join(old[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("-", " ".join(old[i1:i2])))
        if j2 > j1:
            runs.append(("+", " ".join(new[j1:j2])))
    return runs
