"""A step of an SOP as a run shows it: its title line and its content (body, script, checklist).

Runs post these; a finished recording shows its steps with them too.
"""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin

from bot.core.model import Sop, Step
from bot.core.mrkdwn import to_mrkdwn
from bot.slack.kit.blocks import bold, context, one_line, section
from bot.slack.kit.limits import block_chars, split_text

# Past this a step is not something to read in Slack; it would also post a flood of messages.
STEP_CHARS = 60_000

_MD = MarkdownIt("commonmark").use(tasklists_plugin)


def step_of(sop: Sop, n: int) -> Step:
    """Step `n` of the SOP (1-based; ValueError past either end)."""
    # `Sop.step(0)` would quietly return the last step.
    if not 1 <= n <= len(sop.steps):
        raise ValueError(f"{sop.slug} has no step {n}")
    return sop.step(n)


def title_block(sop: Sop, n: int) -> dict[str, Any]:
    """`Step 2 of 7 · Verify the order`, in bold."""
    heading = f"Step {n} of {len(sop.steps)} · {step_of(sop, n).title}"
    return section(bold(heading), block_id=f"step-{n}-title")


def content_blocks(step: Step, n: int) -> list[dict[str, Any]]:
    """The step's body, its script (Say:) and checklist, within STEP_CHARS."""
    body, scripts, checklist = _take_apart(step.body)
    scripts = step.scripts or scripts
    checklist = step.checklist or checklist
    content = _sections(to_mrkdwn(body), f"step-{n}-body")
    if scripts:
        said = "\n\n".join(_quote(to_mrkdwn(script)) for script in scripts)
        content += _sections(f"💬 *Say:*\n{said}", f"step-{n}-say")
    if checklist:
        boxes = "\n".join(f"☐ {one_line(item, 500)}" for item in checklist)
        content += _sections(f"☑️ *Checklist*\n{boxes}", f"step-{n}-check")
    return _within(content, STEP_CHARS, note_id=f"step-{n}-cut")


def _sections(text: str, prefix: str) -> list[dict[str, Any]]:
    return [section(chunk, block_id=f"{prefix}-{i}") for i, chunk in enumerate(split_text(text))]


def _quote(text: str) -> str:
    # A line that already carries the quote marker keeps one: Slack has no nested quotes.
    return "\n".join(
        line if line.startswith(">") else f"> {line}".rstrip() for line in text.split("\n")
    )


def _within(blocks: list[dict], limit: int, *, note_id: str) -> list[dict]:
    """Keep blocks up to `limit` characters of text, saying so when the rest is left out."""
    kept, used = [], 0
    for block in blocks:
        used += block_chars(block)
        if used > limit:
            cut = "✂️ The rest of this step is too long to show in Slack; read it in the SOP."
            return [*kept, context(cut, block_id=note_id)]
        kept.append(block)
    return kept


def _take_apart(body: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Split a step body into the rest, its top-level quotes (scripts) and its checklist items."""
    lines = body.split("\n")
    drop: set[int] = set()
    scripts: list[str] = []
    checklist: list[str] = []
    tokens = _MD.parse(body)
    for index, token in enumerate(tokens):
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "blockquote_open" and token.level == 0:
            drop.update(range(start, end))
            quoted = [_unquote(line) for line in lines[start:end]]
            scripts.append("\n".join(quoted).strip())
        elif token.type == "list_item_open" and "task-list-item" in str(token.attrs.get("class")):
            drop.update(range(start, end))
            inline = tokens[index + 2] if index + 2 < len(tokens) else None
            if inline is not None and inline.type == "inline" and inline.content.strip():
                checklist.append(" ".join(inline.content.split()))
    rest = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return rest, tuple(s for s in scripts if s), tuple(checklist)


def _unquote(line: str) -> str:
    line = line.lstrip()
    if line.startswith(">"):
        return line[2:] if line.startswith("> ") else line[1:]
    return line  # a lazy continuation line
