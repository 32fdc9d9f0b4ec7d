"""Messages of a hand-off: the waiting step, the role's notice and its "Taken by" update."""

from __future__ import annotations

from typing import Any

from bot.core.model import Sop
from bot.core.mrkdwn import escape
from bot.services.runs import RunState
from bot.slack.ids import Action
from bot.slack.kit.blocks import actions, bold, button, context, mention, section
from bot.slack.kit.limits import truncate
from bot.slack.runs.blocks import people_picker, stop_confirm

FALLBACK_CHARS = 300


def _article(role: str) -> str:
    return "an" if role[:1].lower() in "aeiou" else "a"


def step_waiting(*, run_id: int, visit_id: int, sop: Sop, step_number: int, role: str) -> dict:
    """A step that waits for someone of its role: Take this step, Hand to…, Stop."""
    n, title = step_number, sop.step(step_number).title
    heading = f"Step {n} of {len(sop.steps)} · {title}"
    who = f"{_article(role)} {bold(role, 100)}"
    blocks: list[dict[str, Any]] = [
        section(bold(heading), block_id=f"step-{n}-title"),
        context(f"⏳ Waiting for {who} to take this step", block_id=f"step-{n}-waiting"),
        actions(
            [
                button(
                    "Take this step",
                    action_id=Action.TAKE_STEP,
                    value=str(visit_id),
                    style="primary",
                ),
                people_picker("Hand to…", Action.HAND_TO),
                button(
                    "Stop",
                    action_id=Action.STOP_RUN,
                    value=str(run_id),
                    style="danger",
                    confirm=stop_confirm(sop.slug),
                ),
            ],
            block_id=f"hand-{visit_id}",
        ),
    ]
    text = f"Step {n} of {len(sop.steps)} is waiting for {_article(role)} {escape(role)}"
    return {"text": truncate(text, FALLBACK_CHARS), "blocks": blocks}


def step_taken(
    *,
    sop: Sop,
    step_number: int,
    role: str,
    user_id: str,
    reassigned: bool = False,
    cast_empty: bool = False,
) -> dict:
    """What the waiting (or reassigned) step's message becomes once someone has the step;
    `cast_empty`: given to someone outside a cast that names nobody now, which it says."""
    n = step_number
    heading = f"Step {n} of {len(sop.steps)} · {sop.step(n).title}"
    verb = "↪️ Reassigned to" if reassigned else "🙋 Taken by"
    line = f"{verb} {mention(user_id)} · {bold(role or 'no role', 100)}"
    if cast_empty:
        line += " · ⚠️ nobody holds this role now: its `cast:` names no one sopbot can find"
    blocks = [
        section(bold(heading), block_id=f"step-{n}-title"),
        context(line, block_id=f"step-{n}-taken"),
    ]
    text = f"Step {n} of {len(sop.steps)}: taken"
    return {"text": text, "blocks": blocks}


def handoff_notice(
    *, starter_id: str, role: str, step_number: int, title: str, permalink: str | None
) -> dict:
    """The DM (or cast channel message) saying a run needs someone of the role."""
    need = (
        f"{mention(starter_id)} needs {_article(role)} {bold(role, 100)} for step {step_number} "
        f"of {bold(title)}"
    )
    blocks: list[dict[str, Any]] = [section(need, block_id="handoff-need")]
    if permalink and "|" not in permalink and ">" not in permalink:
        blocks.append(context(f"<{permalink}|Go to the thread> to take it", block_id="handoff-go"))
    text = (
        f"Someone needs {_article(role)} {escape(role)} for step {step_number} of {escape(title)}"
    )
    return {"text": truncate(text, FALLBACK_CHARS), "blocks": blocks}


def handoff_taken(*, role: str, step_number: int, title: str, user_id: str) -> dict:
    """The notice, updated in place once the step is taken."""
    line = f"✅ Taken by {mention(user_id)}: {bold(role, 100)}, step {step_number} of {bold(title)}"
    text = f"Taken: step {step_number} of {escape(title)}"
    return {"text": truncate(text, FALLBACK_CHARS), "blocks": [section(line, block_id="handoff")]}


def handoff_refusal(run: RunState) -> dict:
    """Someone pressed a step's button that is not theirs (or that waits to be taken)."""
    n = run.current_step
    if run.assignee_id is None:
        role = bold(run.step_role or "", 100)
        who = f"{_article(run.step_role or '')} {role}"
        return refusal(f"Step {n} waits for {who}: press *Take this step* if that is you.")
    return refusal(
        f"Step {n} is {mention(run.assignee_id)}'s; a manager of this SOP can reassign it."
    )


def handoff_withdrawn(*, role: str, step_number: int, title: str) -> dict:
    """The notice, updated in place when the run was stopped before anyone took the step."""
    line = (
        f"⏹ No longer needed: {bold(role, 100)}, step {step_number} of {bold(title)} (run stopped)"
    )
    text = f"No longer needed: step {step_number} of {escape(title)}"
    return {"text": truncate(text, FALLBACK_CHARS), "blocks": [section(line, block_id="handoff")]}


def refusal(text: str) -> dict:
    """An ephemeral answer to a hand-off press that changed nothing."""
    return {"text": truncate(text, FALLBACK_CHARS), "blocks": [section(text, block_id="handoff")]}
