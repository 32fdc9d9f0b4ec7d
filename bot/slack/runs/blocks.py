"""Messages of a run: the parent in the channel, one thread message per step, the summary."""

from __future__ import annotations

from typing import Any, Literal

from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin

from bot.core.model import Sop, Step
from bot.core.mrkdwn import escape, to_mrkdwn
from bot.slack.ids import Action
from bot.slack.kit.blocks import (
    actions,
    bold,
    button,
    code,
    context,
    duration,
    header,
    mention,
    mrkdwn,
    one_line,
    plain,
    plural,
    section,
)
from bot.slack.kit.limits import block_chars, chunk_messages, excerpt, split_text, truncate

Status = Literal["active", "completed", "abandoned"]
OUTCOME_CHARS = 1500  # the parent is a summary; the whole outcome is in the SOP
FALLBACK_CHARS = 300
# Past this a step is not something to read in Slack; it would also post a flood of messages.
STEP_CHARS = 60_000
NOTE_STOPPED = "⏹ Run stopped"
NOTE_WENT_BACK = "↩️ Went back"
NOTE_CONTINUED = "⏭ Continued below"

_MD = MarkdownIt("commonmark").use(tasklists_plugin)


def run_parent(
    *,
    title: str,
    revision: int,
    starter_id: str,
    step_count: int,
    outcome_md: str,
    status: Status,
    minutes: float | None = None,
    stopped_at: int | None = None,
) -> dict:
    """The run's parent message: title, facts, outcome and where the run stands."""
    if status == "active":
        line = "▶️ In progress — follow the steps in the thread"
    elif status == "completed":
        line = "✅ Completed" + (f" in {duration(minutes * 60)}" if minutes is not None else "")
    elif status == "abandoned":
        line = "⏹ Stopped" + (f" at step {stopped_at}" if stopped_at is not None else "")
    else:
        raise ValueError(f"unknown run status {status!r}")
    facts = [
        f"*Revision*\nv{revision}",
        f"*Started by*\n{mention(starter_id)}",
        f"*Steps*\n{step_count}",
    ]
    blocks: list[dict[str, Any]] = [
        header(escape(title), block_id="run-title"),
        {"type": "section", "block_id": "run-facts", "fields": [mrkdwn(f) for f in facts]},
    ]
    if outcome := _outcome(outcome_md):
        blocks.append(section(outcome, block_id="run-outcome"))
    blocks.append(context(line, block_id="run-status"))
    text = truncate(f"{escape(title)} (v{revision}): {line}", FALLBACK_CHARS)
    return {"text": text, "blocks": blocks}


def step_messages(
    *,
    run_id: int,
    visit_id: int,
    sop: Sop,
    step_number: int,
    revision: int,
    newer_revision: int | None = None,
    feedback_button: bool = False,
    assignee_id: str | None = None,
) -> list[dict]:
    """One step as thread messages (usually one); the buttons sit on the last.

    With `assignee_id` (an SOP with a cast) the step says who has it and offers managers
    *Reassign*.
    """
    step = _step(sop, step_number)
    n = step_number
    blocks = [_title_block(sop, n)]
    if step.role and assignee_id:
        line = f"Step {n} · {bold(step.role, 100)} · {mention(assignee_id)}"
        blocks.append(context(line, block_id=f"step-{n}-role"))
    elif step.role:
        blocks.append(context(f"Role: {bold(step.role, 100)}", block_id=f"step-{n}-role"))
    if newer_revision is not None:
        warning = (
            f"⚠️ A newer revision (v{newer_revision}) of this SOP was published since you "
            f"started (you are on v{revision})."
        )
        blocks.append(context(warning, block_id=f"step-{n}-newer"))
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
    blocks += _within(content, STEP_CHARS, note_id=f"step-{n}-cut")
    elements = _step_buttons(run_id, visit_id, sop, n, newer_revision, feedback_button)
    if assignee_id:
        elements.append(people_picker("Reassign…", Action.REASSIGN))
    blocks.append(actions(elements, block_id=f"step-{n}-actions"))
    if assignee_id:
        blocks[-1]["block_id"] = f"reassign-{visit_id}"
    text = truncate(f"Step {n} of {len(sop.steps)}: {escape(step.title)}", FALLBACK_CHARS)
    return chunk_messages(blocks, text=text)


def step_done(*, sop: Sop, step_number: int, user_id: str, seconds: float) -> dict:
    """What a step's button message becomes once done: its title and who did it, how fast."""
    line = f"✅ Done by {mention(user_id)} · {duration(seconds)}"
    return _closed(sop, step_number, line, "✅ Done")


def step_closed(*, sop: Sop, step_number: int, note: str) -> dict:
    """What a step's button message becomes when the run moved on without it; `note` is plain."""
    return _closed(sop, step_number, escape(note), escape(note))


def run_summary(
    *, title: str, revision: int, step_count: int, minutes: float, outcome_md: str
) -> dict:
    """The closing message of a finished run."""
    took = f"{plural(step_count, 'step')} in {duration(minutes * 60)}"
    blocks = [section(f"🎉 Finished {bold(title)} (v{revision}): {took}", block_id="summary")]
    if outcome := _outcome(outcome_md):
        blocks.append(section(outcome, block_id="summary-outcome"))
    text = truncate(f"Finished {escape(title)} (v{revision}): {took}", FALLBACK_CHARS)
    return {"text": text, "blocks": blocks}


def _step(sop: Sop, n: int) -> Step:
    # `Sop.step(0)` would quietly return the last step.
    if not 1 <= n <= len(sop.steps):
        raise ValueError(f"{sop.slug} has no step {n}")
    return sop.step(n)


def _title_block(sop: Sop, n: int) -> dict[str, Any]:
    heading = f"Step {n} of {len(sop.steps)} · {_step(sop, n).title}"
    return section(bold(heading), block_id=f"step-{n}-title")


def _closed(sop: Sop, n: int, line: str, what: str) -> dict:
    blocks = [_title_block(sop, n), context(line, block_id=f"step-{n}-closed")]
    title = escape(sop.step(n).title)
    text = truncate(f"{what} · Step {n} of {len(sop.steps)}: {title}", FALLBACK_CHARS)
    return {"text": text, "blocks": blocks}


def _outcome(outcome_md: str) -> str:
    rendered = to_mrkdwn(outcome_md) if outcome_md.strip() else ""
    return excerpt(f"*Outcome*\n{rendered}", OUTCOME_CHARS) if rendered else ""


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


def _step_buttons(
    run_id: int, visit_id: int, sop: Sop, n: int, newer: int | None, feedback: bool
) -> list[dict[str, Any]]:
    last = n == len(sop.steps)
    buttons = [
        button(
            "Finish" if last else "Done, next step",
            action_id=Action.STEP_DONE,
            value=str(visit_id),
            style="primary",
        )
    ]
    if n > 1:
        buttons.append(button("Back", action_id=Action.STEP_BACK, value=str(visit_id)))
    if feedback:
        buttons.append(
            button("Feedback on this step", action_id=Action.STEP_FEEDBACK, value=f"{run_id}:{n}")
        )
    if newer is not None:
        buttons.append(
            button(f"Restart on v{newer}", action_id=Action.RESTART_ON_NEW, value=str(run_id))
        )
    stop = button(
        "Stop",
        action_id=Action.STOP_RUN,
        value=str(run_id),
        style="danger",
        confirm=stop_confirm(sop.slug),
    )
    return [*buttons, stop]


def stop_confirm(slug: str) -> dict[str, Any]:
    """The dialog before Stop ends a run."""
    return {
        "title": plain("Stop this run?", 100),
        "text": mrkdwn(
            "The run ends here and its thread stays as a record. You can start again any "
            f"time with {code('/sop ' + slug)}."
        ),
        "confirm": plain("Stop", 30),
        "deny": plain("Keep going", 30),
        "style": "danger",
    }


def people_picker(placeholder: str, action_id: Action) -> dict[str, Any]:
    """A users_select; the listener reads the visit from its block's ID."""
    return {
        "type": "users_select",
        "action_id": str(action_id),
        "placeholder": plain(placeholder, 150),
    }


def not_your_run(*, owner_id: str, slug: str) -> dict:
    """Someone pressed a button on another person's run."""
    start = code(f"/sop {slug}")
    text = f"This run belongs to {mention(owner_id)}; start your own with {start}."
    fallback = f"This run belongs to someone else; start your own with /sop {escape(slug)}."
    return {"text": truncate(fallback, 300), "blocks": [section(text, block_id="not-yours")]}
