"""Reading the feedback form back out of a view payload (what the person chose and typed)."""

from __future__ import annotations

import json
from typing import Any

from bot.services.feedback import Draft
from bot.slack.feedback.views import (
    ANON_BLOCK,
    ANONYMOUS,
    KIND_BLOCK,
    SOP_BLOCK,
    SUGGESTION_BLOCK,
    TEXT_BLOCK,
    step_block_id,
)
from bot.slack.ids import Action

FIELD_BLOCKS = {
    "sop": SOP_BLOCK,
    "kind": KIND_BLOCK,
    "text": TEXT_BLOCK,
    "suggestion": SUGGESTION_BLOCK,
}


def _entry(view: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    return (values.get(block_id) or {}).get(str(action_id)) or {}


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _selected(entry: dict[str, Any]) -> str | None:
    return (entry.get("selected_option") or {}).get("value")


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """Kind, text and anonymity as typed so far (kept when the SOP changes)."""
    chosen = _entry(view, ANON_BLOCK, Action.FEEDBACK_ANONYMOUS).get("selected_options") or []
    return {
        "kind": _selected(_entry(view, KIND_BLOCK, Action.FEEDBACK_KIND)) or "problem",
        "text": _entry(view, TEXT_BLOCK, Action.FEEDBACK_TEXT).get("value") or "",
        "anonymous": any(option.get("value") == ANONYMOUS for option in chosen),
        "suggestion": _entry(view, SUGGESTION_BLOCK, Action.FEEDBACK_SUGGESTION).get("value") or "",
    }


def draft_from(view: dict[str, Any]) -> Draft:
    """The submitted form as a Draft; a step picked for another SOP than the chosen one is None."""
    meta = _metadata(view)
    slug = _selected(_entry(view, SOP_BLOCK, Action.FEEDBACK_SOP))
    pinned = meta.get("slug") == slug and isinstance(meta.get("rev"), int)
    revision = meta["rev"] if pinned else None
    step_value = _selected(_entry(view, step_block_id(slug, revision), Action.FEEDBACK_STEP))
    step = int(step_value) if step_value and step_value.isdigit() else None
    values = form_values(view)
    return Draft(
        slug=slug,
        step=step if step is None or step < 10_000 else None,
        kind=values["kind"],
        text=values["text"],
        anonymous=values["anonymous"],
        revision=revision,
        suggestion=values["suggestion"],
    )


def field_errors(view: dict[str, Any], problems: dict[str, str]) -> dict[str, str]:
    """Problems by field -> errors by the view's input block IDs (a step error without a step
    field goes under the SOP)."""
    inputs = {b.get("block_id") for b in view.get("blocks", []) if b.get("type") == "input"}
    step_block = next((b for b in inputs if b and b.startswith("fb-step-")), SOP_BLOCK)
    errors: dict[str, str] = {}
    for name, message in problems.items():
        block = step_block if name == "step" else FIELD_BLOCKS.get(name, TEXT_BLOCK)
        errors[block] = (errors[block] + " " + message) if block in errors else message
    return errors
