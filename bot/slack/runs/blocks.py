"""Messages of a run: the parent in the channel, one thread message per step, the summary."""

from __future__ import annotations

from typing import Any, Literal

from bot.core.model import Sop
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
    plain,
    plural,
    section,
)
from bot.slack.kit.limits import chunk_messages, excerpt, truncate
from bot.slack.kit.steps import content_blocks, step_of, title_block

Status = Literal["active", "completed", "abandoned"]
OUTCOME_CHARS = 1500  # the parent is a summary; the whole outcome is in the SOP
FALLBACK_CHARS = 300
NOTE_STOPPED = "⏹ Run stopped"
NOTE_WENT_BACK = "↩️ Went back"
NOTE_CONTINUED = "⏭ Continued below"


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
    step = step_of(sop, step_number)
    n = step_number
    blocks = [title_block(sop, n)]
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
    blocks += content_blocks(step, n)
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


def _closed(sop: Sop, n: int, line: str, what: str) -> dict:
    blocks = [title_block(sop, n), context(line, block_id=f"step-{n}-closed")]
    title = escape(sop.step(n).title)
    text = truncate(f"{what} · Step {n} of {len(sop.steps)}: {title}", FALLBACK_CHARS)
    return {"text": text, "blocks": blocks}


def _outcome(outcome_md: str) -> str:
    rendered = to_mrkdwn(outcome_md) if outcome_md.strip() else ""
    return excerpt(f"*Outcome*\n{rendered}", OUTCOME_CHARS) if rendered else ""


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
