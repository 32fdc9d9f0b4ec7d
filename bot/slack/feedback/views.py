"""Feedback modals: the form (with step options that follow the chosen SOP), thanks, reason."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.mrkdwn import escape
from bot.services.feedback import FeedbackItem
from bot.slack.feedback.blocks import excerpt, kind_label, quote, where
from bot.slack.ids import Action, View
from bot.slack.kit.blocks import context, plain, section
from bot.slack.kit.limits import MAX_OPTIONS, OPTION_TEXT, OPTION_VALUE, split_text

KINDS = ("problem", "suggestion", "question", "praise")
MAX_TEXT = 3000
MAX_REASON = 500
SOP_BLOCK, KIND_BLOCK, TEXT_BLOCK, ANON_BLOCK, REASON_BLOCK = (
    "fb-sop",
    "fb-kind",
    "fb-text",
    "fb-anon",
    "fb-reason",
)
SUGGESTION_BLOCK = "fb-suggestion"
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Form:
    """What the feedback form shows: the chosen SOP's revision and steps, and values so far."""

    slug: str | None = None
    sop_title: str = ""
    revision: int | None = None
    steps: Sequence[tuple[int, str]] = ()
    step: int | None = None
    kind: str = "problem"
    text: str = ""
    anonymous: bool = False
    suggestion: str = ""  # the step's Markdown to reword (prefilled from a step's button)
    note: str = ""  # plain text shown at the top, e.g. why the one-liner opened the form


def step_block_id(slug: str | None, revision: int | None) -> str:
    """A block_id per SOP revision, so Slack drops a step picked for another SOP."""
    return f"fb-step-{slug}-{revision}" if slug else "fb-step"


def sop_option(slug: str, title: str) -> dict[str, Any]:
    """One SOP in the external select."""
    return {"text": plain(title, OPTION_TEXT), "value": slug[:OPTION_VALUE]}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT), "value": value}


def _input(block_id: str, label: str, element: dict, **extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        **extra,
    }


def feedback_form(form: Form) -> dict:
    """The feedback modal; private_metadata holds the SOP and revision, never a person."""
    blocks: list[dict[str, Any]] = []
    if form.note:
        blocks.append(context(escape(form.note), block_id="fb-note"))
    sop_select: dict[str, Any] = {
        "type": "external_select",
        "action_id": str(Action.FEEDBACK_SOP),
        "placeholder": plain("Type to search SOPs", 150),
        "min_query_length": 0,
    }
    if form.slug:
        sop_select["initial_option"] = sop_option(form.slug, form.sop_title or form.slug)
    blocks.append(_input(SOP_BLOCK, "SOP", sop_select, dispatch_action=True))
    if form.slug and form.steps:
        options = [_option(f"{n}. {title}", str(n)) for n, title in form.steps[:MAX_OPTIONS]]
        select: dict[str, Any] = {
            "type": "static_select",
            "action_id": str(Action.FEEDBACK_STEP),
            "placeholder": plain("Which step?", 150),
            "options": options,
        }
        chosen = next((o for o in options if o["value"] == str(form.step)), None)
        if chosen is not None:
            select["initial_option"] = chosen
        label = f"Step (v{form.revision})" if form.revision else "Step"
        # Optional for Slack so that a missing step gets our own message under the field.
        blocks.append(_input(step_block_id(form.slug, form.revision), label, select, optional=True))
    else:
        blocks.append(context("Pick an SOP and its steps appear here.", block_id="fb-steps-wait"))
    kinds = [_option(kind_label(kind), kind) for kind in KINDS]
    radio: dict[str, Any] = {
        "type": "radio_buttons",
        "action_id": str(Action.FEEDBACK_KIND),
        "options": kinds,
        "initial_option": next((o for o in kinds if o["value"] == form.kind), kinds[0]),
    }
    blocks.append(_input(KIND_BLOCK, "Kind", radio))
    text: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": str(Action.FEEDBACK_TEXT),
        "multiline": True,
        "max_length": MAX_TEXT,
        "placeholder": plain("What is wrong, unclear or great about this step?", 150),
    }
    if form.text.strip():
        text["initial_value"] = form.text[:MAX_TEXT]
    blocks.append(_input(TEXT_BLOCK, "Your feedback", text))
    suggestion: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": str(Action.FEEDBACK_SUGGESTION),
        "multiline": True,
        "max_length": MAX_TEXT,
        "placeholder": plain("Optional: the step as you would write it", 150),
    }
    if form.suggestion.strip():
        suggestion["initial_value"] = form.suggestion[:MAX_TEXT]
    blocks.append(_input(SUGGESTION_BLOCK, "Suggested wording", suggestion, optional=True))
    anonymous_option = {
        "text": plain("Send anonymously", OPTION_TEXT),
        "description": plain("Your name is not stored with it.", OPTION_TEXT),
        "value": ANONYMOUS,
    }
    boxes: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": str(Action.FEEDBACK_ANONYMOUS),
        "options": [anonymous_option],
    }
    if form.anonymous:
        boxes["initial_options"] = [anonymous_option]
    blocks.append(_input(ANON_BLOCK, "Anonymity", boxes, optional=True))
    metadata = {"slug": form.slug, "rev": form.revision}
    return {
        "type": "modal",
        "callback_id": str(View.FEEDBACK),
        "title": plain("Feedback on a step", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


def thanks(card: FeedbackItem, *, recipient: str) -> dict:
    """What the form turns into once sent."""
    head = f"✅ Thanks! Your feedback is on its way to {recipient}."
    if card.author_id is None:
        head += "\nIt was sent anonymously: your name is not stored with it."
    blocks = [
        section(head, block_id="fb-thanks"),
        section(f"{kind_label(card.kind)} on {where(card)}", block_id="fb-thanks-where"),
    ]
    blocks += [
        section(chunk, block_id=f"fb-thanks-quote-{i}")
        for i, chunk in enumerate(split_text(quote(card.text))[:3])
    ]
    return {
        "type": "modal",
        "callback_id": str(View.FEEDBACK),
        "title": plain("Feedback sent", 24),
        "close": plain("Done", 24),
        "blocks": blocks,
    }


def reason_form(card: FeedbackItem, *, status: str) -> dict:
    """Resolve / Won't fix: the item, and an optional reason the author will read."""
    title, submit = (
        ("Resolve feedback", "Resolve") if status == "resolved" else ("Won't fix", "Won't fix")
    )
    summary = f"{kind_label(card.kind)} on {where(card)}\n> {excerpt(card.text, 500)}"
    reason = {
        "type": "plain_text_input",
        "action_id": str(Action.FEEDBACK_REASON),
        "multiline": True,
        "max_length": MAX_REASON,
        "placeholder": plain("Optional: what changed, or why not", 150),
    }
    blocks = [
        section(summary, block_id="fb-reason-item"),
        _input(REASON_BLOCK, "Reason (the author sees it)", reason, optional=True),
    ]
    return {
        "type": "modal",
        "callback_id": str(View.FEEDBACK_CLOSE),
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"id": card.feedback_id, "status": status}),
        "blocks": blocks,
    }
