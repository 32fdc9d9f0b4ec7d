"""The step editor's modals and the suggestion diff: within Slack's limits, user text inert."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from slack_sdk.models.blocks import Block

from bot.core.edit import StepDraft
from bot.services.authoring import Base
from bot.services.feedback import FeedbackItem
from bot.slack.authoring import blocks
from bot.slack.authoring.blocks import EditorForm
from bot.slack.feedback import blocks as feedback_blocks
from bot.slack.ids import Action
from bot.slack.kit.limits import check_message, check_view

EVIL = "<!channel> <@U999EVIL> & *b* ~s~"
FORM = EditorForm(
    slug="refund-request",
    sop_title="Handle a refund request",
    kind="edit",
    step=3,
    draft=StepDraft("Decide who approves", "Agent", "You can approve on your own.\n- [ ] Note"),
    roles=("Agent", "Team lead"),
    material=True,
    base=Base(revision=4, file_digest="a" * 64),
)


def valid_view(view: dict) -> str:
    check_view(view)
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    return json.dumps(view, ensure_ascii=False)


def test_the_editor_shows_the_step_as_written_and_carries_its_base():
    view = blocks.editor(FORM)
    valid_view(view)
    assert view["title"]["text"] == "Edit step 3"
    assert view["blocks"][0]["text"]["text"] == "Edit step 3 of Handle a refund request"
    body = next(b for b in view["blocks"] if b["block_id"] == "edit-body")["element"]
    assert body["initial_value"] == FORM.draft.body and body["max_length"] == 3000
    role = next(b for b in view["blocks"] if b["block_id"] == "edit-role")["element"]
    assert [o["value"] for o in role["options"]] == ["-", "Agent", "Team lead"]
    assert role["initial_option"]["value"] == "Agent"
    material = next(b for b in view["blocks"] if b["block_id"] == "edit-material")["element"]
    assert material["initial_options"][0]["value"] == "material"
    assert json.loads(view["private_metadata"]) == {
        "slug": "refund-request",
        "kind": "edit",
        "step": 3,
        "rev": 4,
        "file": "a" * 64,
        "credit": None,
        "fb": None,
    }
    remove = next(b for b in view["blocks"] if b["block_id"] == "edit-actions")["elements"][1]
    assert remove["action_id"] == Action.EDIT_REMOVE and remove["confirm"]["style"] == "danger"


def test_an_add_form_has_no_add_or_remove_and_a_minor_default_has_no_tick():
    view = blocks.editor(replace(FORM, kind="add", material=False, draft=StepDraft("", None, "")))
    valid_view(view)
    assert view["title"]["text"] == "Add a step"
    assert not any(b["block_id"] == "edit-actions" for b in view["blocks"])
    material = next(b for b in view["blocks"] if b["block_id"] == "edit-material")["element"]
    assert "initial_options" not in material


def test_the_conflict_banner_and_the_saved_diff_escape_what_people_typed():
    banner = blocks.conflict_banner(number=5, editor="U01ANA0001")
    view = blocks.editor(replace(FORM, banner=banner, note=EVIL))
    assert "now v5, edited by <@U01ANA0001>" in valid_view(view)
    saved = blocks.saved(
        sop_title="Handle a refund request",
        number=5,
        what="edit step 3",
        material=False,
        note=EVIL,
        lines=[f"- old {EVIL}", "+ new"],
        credit="U01JO00001",
    )
    shown = valid_view(saved)
    assert "<!channel>" not in shown and "&lt;!channel&gt;" in shown
    assert "Not material: no retraining." in shown and "Suggested by <@U01JO00001>" in shown


def test_a_suggestion_shows_struck_and_bold_words_or_a_code_block_when_long():
    assert feedback_blocks.suggestion_diff("Greet the customer warmly", "Greet the client") == (
        "Greet the ~customer warmly~ *client*"
    )
    long_before = "\n".join(f"line {n} " + "word " * 20 for n in range(30))
    long_after = long_before.replace("line 3 ", "line three ")
    shown = feedback_blocks.suggestion_diff(long_before, long_after)
    assert shown.startswith("```") and "- line 3" in shown and "+ line three" in shown
    assert feedback_blocks.suggestion_diff("a", f"a {EVIL}").count("<!channel>") == 0


def test_a_routed_suggestion_offers_accept_and_edit_and_accept():
    item = FeedbackItem(
        feedback_id=9,
        slug="refund-request",
        sop_title="Handle a refund request",
        revision=1,
        step_number=1,
        step_title="Greet",
        kind="suggestion",
        text="Shorter",
        author_id=None,
        status="open",
        created_at=datetime(2026, 11, 30, tzinfo=UTC),
        suggestion="Say hi.",
        step_body="Say hello to the customer.",
    )
    message = feedback_blocks.routed_message(item)
    check_message(message)
    ids = [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert ids[-3:] == [Action.ACCEPT_SUGGESTION, Action.EDIT_AND_ACCEPT, Action.EDIT_STEP]
    assert "~hello to the customer.~ *hi.*" in json.dumps(message)
