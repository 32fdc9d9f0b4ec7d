"""The step editor's modals and messages: editor, step picker, saved (with the diff), refusals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.edit import MAX_BODY, StepDraft
from bot.core.mrkdwn import escape
from bot.services.authoring import Base, Saved
from bot.services.edits import Edit
from bot.slack.ids import Action, View
from bot.slack.kit.blocks import (
    actions,
    bold,
    button,
    channel_mention,
    context,
    mention,
    plain,
    section,
)
from bot.slack.kit.limits import MAX_OPTIONS, OPTION_TEXT, OPTION_VALUE, split_text, truncate

TITLE_BLOCK, ROLE_BLOCK, BODY_BLOCK = "edit-title", "edit-role", "edit-body"
MATERIAL_BLOCK, NOTE_BLOCK, PICK_BLOCK = "edit-material", "edit-note", "edit-pick"
FIELD_BLOCKS = {"title": TITLE_BLOCK, "role": ROLE_BLOCK, "body": BODY_BLOCK}
NO_ROLE = "-"
MATERIAL = "material"
MAX_NOTE = 300
DIFF_SECTIONS = 6
HOME_EDITS = 5


@dataclass(frozen=True)
class EditorForm:
    """What the editor shows; `step` is the step edited, or the one a new step goes after."""

    slug: str
    sop_title: str
    kind: str  # "edit" or "add"
    step: int
    draft: StepDraft
    roles: tuple[str, ...]
    material: bool
    base: Base
    note: str = ""
    credit: str | None = None  # the author of an accepted suggestion
    feedback_id: int | None = None
    banner: str = ""  # mrkdwn, e.g. why the save was refused


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT), "value": value[:OPTION_VALUE]}


def _input(block_id: str, label: str, element: dict, *, optional: bool = False) -> dict:
    block = {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element}
    return {**block, "optional": True} if optional else block


def heading(form: EditorForm) -> str:
    """`Edit step 3 of Handle a refund request`."""
    if form.kind == "add":
        return f"Add a step after step {form.step} of {form.sop_title}"
    return f"Edit step {form.step} of {form.sop_title}"


def editor(form: EditorForm) -> dict:
    """The step editor; private_metadata names the SOP, the step and what it was based on."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "block_id": "edit-head", "text": plain(heading(form), 150)},
        context(f"{bold(form.sop_title)} v{form.base.revision}", block_id="edit-where"),
    ]
    if form.banner:
        blocks.append(section(form.banner, block_id="edit-banner"))
    if form.credit:
        blocks.append(context(f"Suggested by {mention(form.credit)}.", block_id="edit-credit"))
    title = {"type": "plain_text_input", "action_id": str(Action.EDIT_TITLE), "max_length": 150}
    if form.draft.title:
        title["initial_value"] = form.draft.title
    blocks.append(_input(TITLE_BLOCK, "Step title", title))
    roles = [_option("No role", NO_ROLE)] + [_option(r, r) for r in form.roles]
    if form.draft.role and form.draft.role not in form.roles:
        roles.append(_option(form.draft.role, form.draft.role))
    roles = roles[:MAX_OPTIONS]
    role = {"type": "static_select", "action_id": str(Action.EDIT_ROLE), "options": roles}
    chosen = next((o for o in roles if o["value"] == (form.draft.role or NO_ROLE)), roles[0])
    role["initial_option"] = chosen
    blocks.append(_input(ROLE_BLOCK, "Role", role, optional=True))
    body: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": str(Action.EDIT_BODY),
        "multiline": True,
        "max_length": MAX_BODY,
        "placeholder": plain('Markdown: > "what to say", - [ ] checklist items', 150),
    }
    if form.draft.body.strip():
        body["initial_value"] = form.draft.body[:MAX_BODY]
    blocks.append(_input(BODY_BLOCK, "What to do", body, optional=True))
    retrain = {
        "text": plain("Retrain people on this change", OPTION_TEXT),
        "description": plain("Everyone in the audience gets what changed and a quiz.", 150),
        "value": MATERIAL,
    }
    boxes: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": str(Action.EDIT_MATERIAL),
        "options": [retrain],
    }
    if form.material:
        boxes["initial_options"] = [retrain]
    blocks.append(_input(MATERIAL_BLOCK, "Training", boxes, optional=True))
    note: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": str(Action.EDIT_NOTE),
        "max_length": MAX_NOTE,
        "placeholder": plain("Why: it goes into the revision and the git commit", 150),
    }
    if form.note:
        note["initial_value"] = form.note[:MAX_NOTE]
    blocks.append(_input(NOTE_BLOCK, "Change note", note, optional=True))
    if form.kind == "edit":
        confirm = {
            "title": plain("Remove this step?", 100),
            "text": plain(
                f"Step {form.step}, “{form.draft.title}”, goes from the SOP in a new revision.", 300
            ),
            "confirm": plain("Remove it", 30),
            "deny": plain("Keep it", 30),
            "style": "danger",
        }
        value = str(form.step)
        blocks.append(
            actions(
                [
                    button(
                        f"Add a step after {form.step}",
                        action_id=Action.EDIT_ADD_AFTER,
                        value=value,
                    ),
                    button(
                        f"Remove step {form.step}",
                        action_id=Action.EDIT_REMOVE,
                        value=value,
                        style="danger",
                        confirm=confirm,
                    ),
                ],
                block_id="edit-actions",
            )
        )
    metadata = {
        "slug": form.slug,
        "kind": form.kind,
        "step": form.step,
        "rev": form.base.revision,
        "file": form.base.file_digest,
        "credit": form.credit,
        "fb": form.feedback_id,
    }
    return {
        "type": "modal",
        "callback_id": str(View.EDIT_STEP),
        "title": plain("Add a step" if form.kind == "add" else f"Edit step {form.step}", 24),
        "submit": plain("Save and publish", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


def picker(*, slug: str, sop_title: str, steps: tuple[str, ...]) -> dict:
    """`/sop edit SOP` without a step: which one?"""
    options = [_option(f"{n}. {t}", str(n)) for n, t in enumerate(steps, start=1)][:MAX_OPTIONS]
    select = {"type": "static_select", "action_id": str(Action.EDIT_PICK), "options": options}
    return {
        "type": "modal",
        "callback_id": str(View.EDIT_PICK),
        "title": plain("Edit an SOP", 24),
        "submit": plain("Edit this step", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps({"slug": slug}),
        "blocks": [
            section(f"Which step of {bold(sop_title)}?", block_id="edit-pick-head"),
            _input(PICK_BLOCK, "Step", select),
        ],
    }


def diff_sections(lines: list[str], *, prefix: str) -> list[dict]:
    """The changed lines as `-`/`+` code blocks."""
    if not lines:
        return [context("No line of the file changed.", block_id=f"{prefix}-same")]
    text = escape("\n".join(lines))
    chunks = split_text(text, 2900)[:DIFF_SECTIONS]
    return [section(f"```{c}```", block_id=f"{prefix}-{i}") for i, c in enumerate(chunks)]


def saved(
    *,
    sop_title: str,
    number: int,
    what: str,
    material: bool,
    note: str,
    lines: list[str],
    credit: str | None,
) -> dict:
    """What the editor turns into once published: the new revision and the file's diff."""
    retrain = "Material: the audience is retrained." if material else "Not material: no retraining."
    head = f"✅ Published *v{number}* of {bold(sop_title)}: {escape(what)}.\n{retrain}"
    blocks = [section(head, block_id="edit-saved")]
    if credit:
        blocks.append(context(f"Suggested by {mention(credit)}.", block_id="edit-saved-credit"))
    if note.strip():
        blocks.append(context(f"Note: {escape(truncate(note, 300))}", block_id="edit-saved-note"))
    blocks += diff_sections(lines, prefix="edit-saved-diff")
    return {
        "type": "modal",
        "callback_id": str(View.EDIT_STEP),
        "title": plain("Published", 24),
        "close": plain("Done", 24),
        "blocks": blocks,
    }


def conflict_banner(*, number: int, editor: str | None) -> str:
    """Why a save was refused; the typed text stays in the form."""
    by = f", edited by {mention(editor)}" if editor else ""
    return (
        f"⚠️ *This SOP changed since you opened it: now v{number}{by}.* Nothing was saved. "
        "Your text is kept below; check the SOP, then save again to publish it over v"
        f"{number}."
    )


def refusal(*, sop_title: str, owner: str | None, manager_channels: Sequence[str] = ()) -> dict:
    """Someone without the right asked to edit; `manager_channels` are IDs, the SOP's own
    `managers:` channel first."""
    who = [f"its owner {mention(owner)}" if owner and owner.startswith(("U", "W")) else "its owner"]
    if manager_channels:
        who.append("members of " + " or ".join(channel_mention(c) for c in manager_channels))
    who.append("sopbot admins")
    text = f"Only {', '.join(who)} can edit {bold(sop_title)}. Nothing was changed."
    return {
        "text": "Only the SOP's owner and managers can edit it.",
        "blocks": [section(text, block_id="edit-refused")],
    }


def usage() -> str:
    """How to use /sop edit."""
    return "Use /sop edit SOP [STEP], as in /sop edit refund 3."


def gone(text: str) -> dict:
    """The editor replaced by why it cannot go on."""
    return {
        "type": "modal",
        "callback_id": str(View.EDIT_STEP),
        "title": plain("Edit step", 24),
        "close": plain("Close", 24),
        "blocks": [section(escape(text), block_id="edit-gone")],
    }


def accepted_notice(saved: Saved, *, credit: str | None) -> str:
    """The ephemeral answer to Accept suggestion (plain text)."""
    who = " and its author was told" if credit else ""
    return (
        f"Published v{saved.outcome.new_number} of {saved.title}: the suggested wording is "
        f"now step {saved.step}{who}."
    )


def home_section(edits: list[Edit]) -> list[dict]:
    """Home tab: the latest edits made from Slack, with who made them and why."""
    if not edits:
        return []
    blocks = [section("*Recent edits from Slack*", block_id="home-edits")]
    for i, edit in enumerate(edits[:HOME_EDITS]):
        line = f"{bold(edit.title)} v{edit.number} · edited by {mention(edit.editor)}"
        if edit.credit:
            line += f" · suggested by {mention(edit.credit)}"
        if edit.note:
            line += f"\n> {escape(truncate(edit.note, 200))}"
        blocks.append(section(line, block_id=f"home-edits-{i}"))
    return blocks


def step_moved_on(step: int) -> str:
    """Accept suggestion on a step that was reworded since the suggestion was made."""
    return (
        f"Step {step} was changed since this suggestion was made, so accepting it as it is "
        "would undo that change. Use Edit and accept to combine them."
    )
