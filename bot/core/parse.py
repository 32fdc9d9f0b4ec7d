"""Parse SOP Markdown files into `Sop` values and report every problem with file and line."""

from __future__ import annotations

import functools
import importlib.metadata
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.cast import check_cast
from bot.core.durations import MAX_STEP_SECONDS, parse_step_time
from bot.core.frontmatter import ID_RE, FrontMatter, read_front_matter
from bot.core.model import (
    DEFAULT_PASS_MARK,
    Option,
    Question,
    Role,
    Sop,
    SopError,
    Step,
    quoted,
)
from bot.core.schedule import DEFAULT_DUE_MINUTES

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

SECTIONS = ("roles", "steps", "outcome", "quiz")
MIN_OPTIONS, MAX_OPTIONS = 2, 10

# `1. `, `1) `, `Step 1: `, `Step 1 - `, `Step 1 ` — punctuation must be followed by a space so
# that titles such as "24-hour follow-up" or "1.5x refunds" keep their number.
# Slack shows titles in headers (150 characters at most); ids end up in button values.
MAX_TITLE = 150
MAX_ID = 64
MAX_ROLE = 100
STEP_NUMBER_RE = re.compile(
    r"^(?:step\s*\d+\s*(?:[.):]|[-–—](?=\s)|(?=\s)|$)|\d+\s*(?:[.):](?=\s|$)|\s[-–—](?=\s)))\s*",
    re.IGNORECASE,
)
ROLE_LINE_RE = re.compile(r"^ {0,3}[*_]{0,2}role[*_]{0,2}\s*:[*_]{0,2}(.*)$", re.IGNORECASE)
TIME_LINE_RE = re.compile(r"^ {0,3}[*_]{0,2}time[*_]{0,2}\s*:[*_]{0,2}(.*)$", re.IGNORECASE)
STEP_TIE_RE = re.compile(r"\s*\(\s*step\s+(\d+)\s*\)\s*$", re.IGNORECASE)
ROLE_BOLD_RE = re.compile(r"^\*\*(.+?)\*\*\s*(?:[:—–-]\s*)?(.*)$", re.DOTALL)
ROLE_PLAIN_RE = re.compile(r"^(.+?)(?::|\s[—–-])\s+(.*)$", re.DOTALL)
ORDERED_MARKER_RE = re.compile(r"^(\s*\d+[.)]\s*)")


@functools.cache
def _markdown() -> MarkdownIt:
    """One configured parser, shared: MarkdownIt.parse keeps its state per call."""
    # Imported on first use: a publish with no changed file parses nothing (and markdown-it
    # takes ~30 ms to import, a twentieth of `sopbot sops publish` with nothing changed).
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin
    from mdit_py_plugins.tasklists import tasklists_plugin

    md = MarkdownIt("commonmark").use(front_matter_plugin).use(tasklists_plugin)
    # Its rule lists are compiled on first use; do it here, before threads can share it.
    md.parse("---\nid: x\n---\n# Title\n\n1. *step*\n   - [ ] check\n")
    return md


@dataclass
class _Section:
    """A `##` section: its heading node, the nodes under it, and its source line range."""

    name: str
    heading: SyntaxTreeNode
    nodes: list[SyntaxTreeNode]
    start: int  # first 0-based line after the heading
    end: int  # 0-based line where the next section starts (exclusive)


# A step before validation: (line, heading text, body source lines, block nodes).
_RawStep = tuple[int, str, list[str], list["SyntaxTreeNode"]]


class _Parser:
    """Parse one file; holds the source lines and collects errors as it goes."""

    def __init__(self, text: str, *, path: str) -> None:
        self.path = path
        self.lines = text.split("\n")
        self.errors: list[SopError] = []
        from markdown_it.tree import SyntaxTreeNode  # loaded by _markdown() already

        self.root = SyntaxTreeNode(_markdown().parse(text))

    def error(self, line: int, message: str) -> None:
        self.errors.append(SopError(path=self.path, line=line, message=message))

    def parse(self, *, default_slug: str) -> tuple[Sop | None, str | None, int]:
        """Return the SOP (or None), its id when valid, and the line the id comes from."""
        blocks = list(self.root.children)
        fm, body_start = self._front_matter(blocks)
        if blocks and blocks[0].type == "front_matter":
            blocks = blocks[1:]

        h2_indexes = [i for i, n in enumerate(blocks) if _is_heading(n, 2)]
        first_h2 = h2_indexes[0] if h2_indexes else len(blocks)
        # An H1 inside a section (e.g. in a step body) is content, not the title.
        h1 = next((n for n in blocks[:first_h2] if _is_heading(n, 1)), None)
        if h1 is not None:
            body_start = _map(h1)[1]
        background_end = _map(blocks[first_h2])[0] if h2_indexes else len(self.lines)
        background = _trim(self.lines[body_start:background_end])

        sections = self._sections(blocks, h2_indexes)
        roles = self._roles(sections["roles"]) if "roles" in sections else ()
        steps = self._steps(sections.get("steps"), roles, has_roles="roles" in sections)
        quiz = self._quiz(sections["quiz"], len(steps)) if "quiz" in sections else ()
        outcome = ""
        if "outcome" in sections:
            outcome = _trim(self.lines[sections["outcome"].start : sections["outcome"].end])

        cast, cast_errors = check_cast(
            fm.cast,
            step_roles=[s.role for s in steps],
            listed_roles=[r.name for r in roles] if "roles" in sections else None,
            path=self.path,
        )
        self.errors.extend(cast_errors)
        title = fm.title or (_inline_text(h1) if h1 is not None else "")
        if not title:
            self.error(1, "the SOP has no title; add a `# Title` line or `title:` in front matter")
        elif len(title) > MAX_TITLE:
            line = fm.key_lines.get("title") or (_line(h1) if h1 is not None else 1)
            self.error(
                line,
                f"the title is {len(title)} characters; shorten it to {MAX_TITLE} "
                "or fewer so it fits a Slack header",
            )
        # A bad explicit id makes the SOP unusable: guessing its identity could publish it
        # over another SOP.
        slug = "" if "id" in fm.invalid_keys else fm.id or default_slug
        id_line = fm.key_lines.get("id", 1)
        if len(slug) > MAX_ID:
            self.error(
                id_line, f"id {quoted(slug[:20])}… is {len(slug)} characters; use {MAX_ID} or fewer"
            )
            slug = ""
        if slug and fm.id is None and not ID_RE.match(slug):
            self.error(
                1,
                f"id {quoted(slug)} (from the file name) may use only lowercase a-z, 0-9 and -; "
                "rename the file or set `id:` in front matter",
            )
            slug = ""
        if not (title and steps and slug):
            return None, slug or None, id_line
        sop = Sop(
            slug=slug,
            title=title,
            steps=steps,
            path=self.path,
            owner=fm.owner,
            audience=fm.audience,
            tags=fm.tags,
            review_every_days=fm.review_every_days,
            pass_mark=DEFAULT_PASS_MARK if fm.pass_mark is None else fm.pass_mark,
            retrain=fm.retrain or "auto",
            background=background,
            roles=roles,
            outcome=outcome,
            quiz=quiz,
            cast=cast,
            schedule=fm.schedule,
            timezone=fm.timezone,
            due_minutes=fm.due_minutes or DEFAULT_DUE_MINUTES,
            managers=fm.managers,
        )
        return sop, slug, id_line

    def _front_matter(self, blocks: list[SyntaxTreeNode]) -> tuple[FrontMatter, int]:
        """Read the front matter; return its values and the first body line (0-based)."""
        if blocks and blocks[0].type == "front_matter":
            node = blocks[0]
            fm, errors = read_front_matter(node.content, path=self.path, first_line=2)
            self.errors.extend(errors)
            return fm, _map(node)[1]
        if self.lines[0].rstrip() == "---":
            self.error(1, "front matter opened with --- is never closed; add a --- line after it")
        return FrontMatter(), 0

    def _sections(self, blocks: list[SyntaxTreeNode], h2_indexes: list[int]) -> dict[str, _Section]:
        """Split the body at `##` headings and keep the known sections by lowercase name."""
        sections: dict[str, _Section] = {}
        bounds = [*h2_indexes, len(blocks)]
        for index, next_index in zip(bounds, bounds[1:], strict=False):
            heading = blocks[index]
            name = _inline_text(heading).lower().rstrip(":").strip()
            if name not in SECTIONS:
                continue  # other sections (e.g. "## Notes") are the author's business
            if name in sections:
                self.error(_line(heading), f"second `## {name.title()}` section; merge it into one")
                continue
            end = _map(blocks[next_index])[0] if next_index < len(blocks) else len(self.lines)
            nodes = blocks[index + 1 : next_index]
            sections[name] = _Section(name, heading, nodes, _map(heading)[1], end)
        return sections

    def _roles(self, section: _Section) -> tuple[Role, ...]:
        """Read `- **Name**: description` items (also `Name: desc` and `Name — desc`)."""
        roles: list[Role] = []
        for item in _list_items(section.nodes, "bullet_list", "ordered_list"):
            text = _first_paragraph_text(item)
            match = ROLE_BOLD_RE.match(text) or ROLE_PLAIN_RE.match(text)
            name, description = (match.group(1), match.group(2)) if match else (text, "")
            name = name.strip().strip("*_").rstrip(":").strip()
            if not name:
                continue
            if any(r.name.lower() == name.lower() for r in roles):
                self.error(_line(item), f"role {quoted(name)} is listed twice under ## Roles")
                continue
            roles.append(Role(name=name, description=" ".join(description.split())))
        return tuple(roles)

    def _steps(
        self, section: _Section | None, roles: tuple[Role, ...], *, has_roles: bool
    ) -> tuple[Step, ...]:
        """Read steps from `###` headings, or else from a top-level numbered list."""
        if section is None:
            self.error(1, "the SOP has no `## Steps` section; add one with a `### ` per step")
            return ()
        if any(_is_heading(n, 3) for n in section.nodes):
            raw = self._heading_steps(section)
        else:
            raw = [(_line(i), *self._list_item_step(i)) for i in _list_items(section.nodes)]
        if not raw:
            self.error(
                _line(section.heading),
                "`## Steps` has no steps; add a `### Step title` per step (or a numbered list)",
            )

        steps = []
        for number, (line, heading_text, body_lines, nodes) in enumerate(raw, start=1):
            title = STEP_NUMBER_RE.sub("", heading_text.strip(), count=1).strip()
            if not title:
                self.error(line, f"step {number} has no title; write it after the number")
            elif len(title) > MAX_TITLE:
                self.error(
                    line,
                    f"step {number}'s title is {len(title)} characters; shorten it "
                    f"to {MAX_TITLE} or fewer and move the rest into the step's text",
                )
            expected, body_lines = self._step_time(body_lines, line)
            role, body_lines = self._step_role(body_lines, line, roles, has_roles=has_roles)
            if expected is None:
                expected, body_lines = self._step_time(body_lines, line)
            steps.append(
                Step(
                    number=number,
                    title=title,
                    body=_trim(body_lines),
                    role=role,
                    scripts=tuple(self._blockquote_text(n) for n in nodes if _is_quote(n)),
                    checklist=tuple(_task_items(nodes)),
                    line=line,
                    expected_seconds=expected,
                )
            )
        return tuple(steps)

    def _heading_steps(self, section: _Section) -> list[_RawStep]:
        """Cut the section at its `###` headings; text before the first one is not a step."""
        nodes = section.nodes
        starts = [i for i, n in enumerate(nodes) if _is_heading(n, 3)]
        raw = []
        for index, next_index in zip(starts, [*starts[1:], len(nodes)], strict=True):
            heading = nodes[index]
            end = _map(nodes[next_index])[0] if next_index < len(nodes) else section.end
            body = self.lines[_map(heading)[1] : end]
            raw.append((_line(heading), _inline_text(heading), body, nodes[index + 1 : next_index]))
        return raw

    def _list_item_step(self, item: SyntaxTreeNode) -> tuple[str, list[str], list[SyntaxTreeNode]]:
        """Split a numbered-list step into title (first line), dedented body lines and nodes."""
        start, end = _map(item)
        first = self.lines[start]
        marker = ORDERED_MARKER_RE.match(first)
        indent = len(marker.group(1)) if marker else 0
        title = first[indent:] if item.children and item.children[0].type == "paragraph" else ""
        body = [_dedent(line, indent) for line in self.lines[start + 1 : end]]
        return title, body, list(item.children)

    def _step_time(self, body: list[str], line: int) -> tuple[int | None, list[str]]:
        """Take a `Time: 5m` line (the step's expected time) off the top of a step body."""
        first = next((i for i, text in enumerate(body) if text.strip()), None)
        match = TIME_LINE_RE.match(body[first]) if first is not None else None
        if match is None or first is None:
            return None, body
        rest = body[:first] + body[first + 1 :]
        written = match.group(1).strip().strip("*_").strip()
        seconds = parse_step_time(written)
        if seconds is None:
            self.error(
                line + first + 1,
                f"`Time:` {quoted(written)} is not a step time; write how long the step "
                f"usually takes, e.g. `Time: 5m`, `Time: 90s` or `Time: 1h 30m` "
                f"(at most {MAX_STEP_SECONDS // 86400} days)",
            )
        return seconds, rest

    def _step_role(
        self, body: list[str], line: int, roles: tuple[Role, ...], *, has_roles: bool
    ) -> tuple[str | None, list[str]]:
        """Take the `Role:` line off the top of a step body and match it against ## Roles."""
        first = next((i for i, text in enumerate(body) if text.strip()), None)
        match = ROLE_LINE_RE.match(body[first]) if first is not None else None
        if match is None or first is None:
            return None, body
        role_line = line + first + 1
        rest = body[:first] + body[first + 1 :]
        written = match.group(1).strip().strip("*_").strip()
        if not written:
            self.error(role_line, "`Role:` is empty; name the role responsible for this step")
            return None, rest
        if len(written) > MAX_ROLE:
            self.error(
                role_line,
                f"the role name is {len(written)} characters; use a short "
                f"name ({MAX_ROLE} or fewer) and describe it under ## Roles",
            )
            return None, rest
        if not has_roles:
            return written, rest
        for role in roles:
            if role.name.lower() == written.lower():
                return role.name, rest
        known = quoted(", ".join(r.name for r in roles) or "none").strip("'\"")
        self.error(
            role_line,
            f"role {quoted(written)} is not listed under ## Roles (listed: {known}); "
            "fix the name or add the role there",
        )
        return written, rest

    def _quiz(self, section: _Section, step_count: int) -> tuple[Question, ...]:
        """Read numbered questions whose `- [ ]`/`- [x]` sub-items are the options."""
        items = _list_items(section.nodes)
        if not items:
            self.error(
                _line(section.heading),
                "`## Quiz` has no questions; write them as a numbered list or remove the section",
            )
        questions = []
        for number, item in enumerate(items, start=1):
            line = _line(item)
            text = " ".join(_first_paragraph_text(item).split())
            step = None
            if tie := STEP_TIE_RE.search(text):
                text = text[: tie.start()].strip()
                step = int(tie.group(1))
                if not 1 <= step <= step_count:
                    self.error(
                        line,
                        f"question {number} refers to step {step}, but the SOP has "
                        f"{step_count} step(s); fix the (step N) number",
                    )
                    step = None
            if not text:
                self.error(line, f"question {number} has no text; write it after the number")
            lists = [c for c in item.children if c.type == "bullet_list"]
            options = tuple(
                Option(text=" ".join(_first_paragraph_text(o).split()), correct=_is_checked(o))
                for lst in lists
                for o in lst.children
                if _is_task_item(o)
            )
            plain = any(not _is_task_item(o) for lst in lists for o in lst.children)
            self._check_options(number, line, options, plain=plain)
            explanation = "\n\n".join(
                self._blockquote_text(c) for c in item.children if _is_quote(c)
            )
            questions.append(
                Question(
                    number=number,
                    text=text,
                    options=options,
                    explanation=explanation,
                    step=step,
                    line=line,
                )
            )
        return tuple(questions)

    def _check_options(
        self, number: int, line: int, options: tuple[Option, ...], *, plain: bool
    ) -> None:
        how = " (write options as `- [ ] answer`, and `- [x] answer` for correct ones)"
        if len(options) < MIN_OPTIONS:
            self.error(
                line,
                f"question {number} has {len(options)} option(s); give it at least {MIN_OPTIONS}"
                + (how if plain else ""),
            )
        elif len(options) > MAX_OPTIONS:
            self.error(
                line, f"question {number} has {len(options)} options; keep it to {MAX_OPTIONS}"
            )
        if options and not any(o.correct for o in options):
            self.error(line, f"question {number} has no correct option; mark one with `- [x]`")

    def _blockquote_text(self, node: SyntaxTreeNode) -> str:
        """Return a blockquote's Markdown with its `> ` markers removed."""
        start, end = _map(node)
        out = []
        for text in self.lines[start:end]:
            text = text.lstrip()
            if text.startswith(">"):
                text = text[2:] if text.startswith("> ") else text[1:]
            out.append(text.rstrip())
        return _trim(out)


def parse_sop(text: str, *, path: str, default_slug: str) -> tuple[Sop | None, list[SopError]]:
    """Parse one SOP file; return the SOP (None when unusable) and every error found."""
    sop, errors, _, _ = _parse(text, path=path, default_slug=default_slug)
    return sop, errors


def _parse(
    text: str, *, path: str, default_slug: str
) -> tuple[Sop | None, list[SopError], str | None, int]:
    """Like `parse_sop`, plus the valid id (even when the SOP is unusable) and its line."""
    parser = _Parser(_normalise(text), path=path)
    sop, slug, id_line = parser.parse(default_slug=default_slug)
    return sop, sorted(parser.errors, key=_by_line), slug, id_line


# Stored with every revision's content: publish trusts an earlier parse of the same text only
# when this parser made it. Bump PARSER_REVISION when the same text may now parse differently
# (a release changes it too, through the installed version).
PARSER_REVISION = "2"


def parsed_by() -> str:
    """Who parsed a revision's content: this parser's revision and the installed version."""
    return f"{PARSER_REVISION}/{_installed()}"


@functools.cache  # the installed version cannot change under a running process
def _installed() -> str:
    try:
        return importlib.metadata.version("sopbot")
    except importlib.metadata.PackageNotFoundError:
        return "source"


def load_sops(directory: str | Path) -> tuple[list[Sop], list[SopError]]:
    """Parse every *.md under directory (recursively, sorted); ids must be unique across files."""
    sops, errors = read_sops(directory, known={})
    return [sop for sop in sops if isinstance(sop, Sop)], errors  # none is Unchanged


@dataclass(frozen=True)
class Unchanged:
    """A file whose text is the text `known` gave for its path: not parsed again."""

    path: str
    slug: str  # the id it had when it was parsed


def read_sops(
    directory: str | Path, *, known: Mapping[str, tuple[str, str]]
) -> tuple[list[Sop | Unchanged], list[SopError]]:
    """Parse every *.md under directory as load_sops does, but for the files `known` knows.

    `known` maps a path to text parsed before and the id it had: a file with exactly that
    text is listed as Unchanged in its place (its id taken as a parsed file's is), which
    keeps re-publishing a folder cheap: reading it, not parsing it.
    """
    root = Path(directory)
    if not root.is_dir():
        raise NotADirectoryError(f"SOP directory not found: {root}")
    sops: list[Sop | Unchanged] = []
    errors: list[SopError] = []
    first_path_of: dict[str, str] = {}
    for file in sorted(root.rglob("*.md"), key=lambda p: p.relative_to(root).as_posix()):
        rel = file.relative_to(root)
        if file.name.lower() == "readme.md" or any(p[0] in "._" for p in rel.parts):
            continue
        path = rel.as_posix()
        try:
            text = file.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            errors.append(SopError(path, 1, f"file is not UTF-8 text ({exc.reason}); re-save it"))
            continue
        seen = known.get(path)
        if seen is not None and seen[0] == text and seen[1] not in first_path_of:
            first_path_of[seen[1]] = path
            sops.append(Unchanged(path, seen[1]))
            continue
        sop, file_errors, slug, id_line = _parse(text, path=path, default_slug=file.stem)
        if slug is not None and slug in first_path_of:
            message = (
                f"id {quoted(slug)} is already used by {first_path_of[slug]}; "
                "give this SOP a different `id:`"
            )
            file_errors = sorted([*file_errors, SopError(path, id_line, message)], key=_by_line)
            sop = None  # the first file keeps the id
        elif slug is not None:
            first_path_of[slug] = path
        errors.extend(file_errors)
        if sop is not None:
            sops.append(sop)
    return sops, errors


def _by_line(error: SopError) -> int:
    return error.line


def _normalise(text: str) -> str:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _map(node: SyntaxTreeNode) -> tuple[int, int]:
    assert node.map is not None  # block nodes always carry their source lines
    return node.map[0], node.map[1]


def _line(node: SyntaxTreeNode) -> int:
    return _map(node)[0] + 1


def _is_heading(node: SyntaxTreeNode, level: int) -> bool:
    return node.type == "heading" and node.tag == f"h{level}"


def _inline_text(node: SyntaxTreeNode) -> str:
    """Return the raw inline Markdown of a heading or paragraph."""
    inline = next((c for c in node.children if c.type == "inline"), None)
    return inline.content.strip() if inline is not None else ""


def _first_paragraph_text(item: SyntaxTreeNode) -> str:
    first = item.children[0] if item.children else None
    return _inline_text(first) if first is not None and first.type == "paragraph" else ""


def _list_items(nodes: list[SyntaxTreeNode], *list_types: str) -> list[SyntaxTreeNode]:
    """Return the items of the top-level lists among `nodes` (numbered lists by default)."""
    list_types = list_types or ("ordered_list",)
    # A paragraph between items, or a switch from `1.` to `1)`, splits one list into two.
    return [item for n in nodes if n.type in list_types for item in n.children]


def _is_quote(node: SyntaxTreeNode) -> bool:
    return node.type == "blockquote"


def _is_task_item(node: SyntaxTreeNode) -> bool:
    return "task-list-item" in str(node.attrs.get("class", ""))


def _is_checked(item: SyntaxTreeNode) -> bool:
    inline = item.children[0].children[0] if item.children else None
    return inline is not None and any(
        c.type == "html_inline" and 'checked="checked"' in c.content for c in inline.children
    )


def _task_items(nodes: list[SyntaxTreeNode]) -> list[str]:
    """Return the texts of every task-list item under `nodes`, in document order."""
    found = []
    for node in nodes:
        for descendant in node.walk():
            if descendant.type == "list_item" and _is_task_item(descendant):
                found.append(" ".join(_first_paragraph_text(descendant).split()))
    return found


def _dedent(line: str, indent: int) -> str:
    # Lazy continuation lines may be indented less than the list item's content.
    width = len(line) - len(line.lstrip(" "))
    return line[min(width, indent) :]


def _trim(lines: list[str]) -> str:
    """Join lines, dropping blank lines at both ends and trailing whitespace."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    return "\n".join(lines[start:end]).rstrip()


def step_spans(text: str) -> list[tuple[int, int]] | None:
    """Each `###` step's 0-based [first, end) lines in `text`; None when steps are a list."""
    parser = _Parser(_normalise(text), path="")
    blocks = list(parser.root.children)
    if blocks and blocks[0].type == "front_matter":
        blocks = blocks[1:]
    h2 = [i for i, n in enumerate(blocks) if _is_heading(n, 2)]
    section = parser._sections(blocks, h2).get("steps")
    if section is None or not any(_is_heading(n, 3) for n in section.nodes):
        return None
    starts = [_map(n)[0] for n in section.nodes if _is_heading(n, 3)]
    return list(zip(starts, [*starts[1:], section.end], strict=True))


def section_span(text: str, name: str) -> tuple[int, int] | None:
    """The 0-based [first, end) lines of the `## Name` section's body in `text`, or None."""
    parser = _Parser(_normalise(text), path="")
    blocks = list(parser.root.children)
    if blocks and blocks[0].type == "front_matter":
        blocks = blocks[1:]
    h2 = [i for i, n in enumerate(blocks) if _is_heading(n, 2)]
    section = parser._sections(blocks, h2).get(name)
    return (section.start, section.end) if section is not None else None
