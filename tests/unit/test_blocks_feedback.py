"""Feedback messages and modals: limits, escaping, buttons by status; reading the form back."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.models.blocks import Block

from bot.services.feedback import FeedbackItem, Given
from bot.slack.feedback import blocks, views
from bot.slack.feedback.form import draft_from, field_errors
from bot.slack.feedback.views import Form
from bot.slack.ids import Action, View
from bot.slack.kit.limits import check_message, check_view

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
EVIL = "<!channel> <!here> <@U999EVIL> <!subteam^S1> <https://x.example|y> & *b*"
ITEM = FeedbackItem(
    feedback_id=7,
    slug="refund-request",
    sop_title="Handle a refund request",
    revision=2,
    step_number=3,
    step_title="Decide who approves",
    kind="problem",
    text="The approval link is dead",
    author_id="U01MARIA01",
    status="open",
    created_at=NOW - timedelta(hours=3),
    owner="U01SAMLEAD",
)
STEPS = tuple((n, f"Step title {n}") for n in range(1, 8))


def valid_message(message: dict) -> str:
    check_message(message)
    return json.dumps(message, ensure_ascii=False)


def valid_view(view: dict) -> str:
    check_view(view)
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    return json.dumps(view, ensure_ascii=False)


def action_ids(message: dict) -> list[str]:
    return [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            "open",
            [
                Action.FEEDBACK_ACKNOWLEDGE,
                Action.FEEDBACK_RESOLVE,
                Action.FEEDBACK_WONT_FIX,
                Action.EDIT_STEP,
            ],
        ),
        ("acknowledged", [Action.FEEDBACK_RESOLVE, Action.FEEDBACK_WONT_FIX, Action.EDIT_STEP]),
        ("resolved", []),
        ("wont_fix", []),
        ("withdrawn", []),
    ],
)
def test_routed_message_offers_the_buttons_its_status_allows(status, expected):
    message = blocks.routed_message(replace(ITEM, status=status, handled_by="U01SAMLEAD"))
    valid_message(message)
    assert action_ids(message) == expected
    assert all(
        e["value"] == "7"
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )


def test_routed_message_names_the_step_the_author_or_anonymous():
    text = valid_message(blocks.routed_message(ITEM, note="Sent here because…"))
    assert "Decide who approves" in text and "<@U01MARIA01>" in text and "Sent here" in text
    assert ITEM.text in text and "v2" in text
    anonymous = valid_message(blocks.routed_message(replace(ITEM, author_id=None)))
    assert "anonymous" in anonymous and "<@" not in anonymous


@pytest.mark.parametrize("text", [EVIL, EVIL * 100, "&" * 3000, ("<!here>\n" * 375)[:3000]])
def test_hostile_or_huge_text_pings_nobody_and_stays_within_limits(text):
    item = replace(
        ITEM,
        text=text,
        reason=text,
        handled_by="U01SAMLEAD",
        status="resolved",
        sop_title="S" * 150,
        step_title="T" * 150,
    )
    for message in (
        blocks.routed_message(item),
        blocks.status_update(item),
        blocks.addressed(item, version=3),
        blocks.confirmation(item, recipient="the owner", undo_minutes=10),
        blocks.open_list([item] * 30, now=NOW),
    ):
        shown = valid_message(
            message
        )  # check_message refuses any control sequence we did not write
        assert "<!" not in shown and "<@U999EVIL>" not in shown
    valid_view(views.thanks(item, recipient="the owner"))
    valid_view(views.reason_form(item, status="resolved"))


def test_status_lines_and_the_author_notes_say_what_happened():
    done = replace(ITEM, status="resolved", handled_by="U01SAMLEAD", reason="Fixed the link")
    assert blocks.status_line(done) == "✅ Resolved by <@U01SAMLEAD>: Fixed the link"
    linked = replace(ITEM, addressed_in=3)
    assert blocks.status_line(linked) == "🟡 Open · ✏️ step changed in v3"
    note = blocks.status_update(replace(done, status="wont_fix"))
    assert note["text"] == (
        "Your feedback on step 3 of Handle a refund request will not be acted on "
        "(decided by <@U01SAMLEAD>)."
    )
    assert blocks.addressed(ITEM, version=4)["text"] == (
        "Your feedback on step 3 of Handle a refund request led to a change in v4"
    )


@pytest.mark.parametrize(
    ("seconds", "shown"), [(5, "just now"), (600, "10 min"), (3 * 3600, "3 h"), (5 * 86400, "5 d")]
)
def test_age(seconds, shown):
    assert blocks.age(seconds) == shown


def test_lists_and_home_sections_fit_and_say_when_more_are_left_out():
    many = [replace(ITEM, feedback_id=n) for n in range(40)]
    listed = blocks.open_list(many, now=NOW, scope="Handle a refund request")
    text = valid_message(listed)
    assert "(40), oldest first" in text and "…and 20 more" in text and "3 h old" in text
    assert "none" in valid_message(blocks.open_list([], now=NOW))
    manager, mine = blocks.home_sections(mine=many[:2], open_items=many, now=NOW)
    assert len(manager) == 12 and len(mine) == 3
    assert "🟡 Open" in json.dumps(mine, ensure_ascii=False)
    [older] = blocks.home_sections(mine=many[:11], open_items=None, now=NOW)
    assert len(older) == 12 and "…and older ones." in json.dumps(older, ensure_ascii=False)
    [only_mine] = blocks.home_sections(mine=[], open_items=None, now=NOW)
    assert "None yet" in json.dumps(only_mine, ensure_ascii=False)


def test_recipients_in_words():
    ok = Given("ok", ITEM, recipients=("U01SAMLEAD", "C01MGR"), owner_reached=True)
    assert blocks.recipients(ok, manager_channel="C01MGR") == (
        "the owner of *Handle a refund request* and the managers in <#C01MGR>"
    )
    fallback = Given("ok", ITEM, recipients=("C01MGR",))
    assert "could not be reached" in blocks.recipients(fallback, manager_channel="C01MGR")
    assert "no one yet" in blocks.recipients(Given("ok", ITEM), manager_channel=None)


def test_form_without_an_sop_waits_for_one_and_with_one_offers_its_steps():
    empty = views.feedback_form(Form(note="<!channel> pick one"))
    shown = valid_view(empty)
    assert "&lt;!channel&gt;" in shown and "fb-steps-wait" in shown
    assert empty["callback_id"] == View.FEEDBACK and json.loads(empty["private_metadata"]) == {
        "slug": None,
        "rev": None,
    }
    form = Form(
        slug="refund-request",
        sop_title="Handle a refund request",
        revision=2,
        steps=STEPS,
        step=3,
        kind="question",
        text="x" * 5000,
        anonymous=True,
    )
    view = views.feedback_form(form)
    valid_view(view)
    by_id = {b["block_id"]: b for b in view["blocks"]}
    sop = by_id["fb-sop"]
    assert sop["dispatch_action"] and sop["element"]["type"] == "external_select"
    step = by_id["fb-step-refund-request-2"]
    assert step["optional"] and step["element"]["initial_option"]["value"] == "3"
    assert step["label"]["text"] == "Step (v2)"
    assert by_id["fb-kind"]["element"]["initial_option"]["value"] == "question"
    assert len(by_id["fb-text"]["element"]["initial_value"]) == 3000
    assert by_id["fb-text"]["element"]["max_length"] == 3000
    assert by_id["fb-anon"]["element"]["initial_options"][0]["value"] == "anonymous"


def test_step_options_are_cut_to_slacks_limits():
    long = tuple((n, "A very long step title " * 10) for n in range(1, 131))
    view = views.feedback_form(Form(slug="s", sop_title="T" * 200, revision=1, steps=long))
    valid_view(view)
    options = view["blocks"][1]["element"]["options"]
    assert len(options) == 100 and all(len(o["text"]["text"]) <= 75 for o in options)


def submitted(form: Form, **state: dict) -> dict:
    view = views.feedback_form(form)
    return {**view, "id": "V1", "state": {"values": state}}


def test_the_form_is_read_back_only_for_the_sop_it_shows():
    form = Form(slug="refund-request", revision=2, steps=STEPS)
    state = {
        "fb-sop": {Action.FEEDBACK_SOP: {"selected_option": {"value": "refund-request"}}},
        "fb-step-refund-request-2": {Action.FEEDBACK_STEP: {"selected_option": {"value": "4"}}},
        "fb-kind": {Action.FEEDBACK_KIND: {"selected_option": {"value": "praise"}}},
        "fb-text": {Action.FEEDBACK_TEXT: {"value": "Great step"}},
        "fb-anon": {Action.FEEDBACK_ANONYMOUS: {"selected_options": [{"value": "anonymous"}]}},
    }
    draft = draft_from(submitted(form, **state))
    assert (draft.slug, draft.revision, draft.step, draft.kind, draft.anonymous) == (
        "refund-request",
        2,
        4,
        "praise",
        True,
    )
    # Another SOP chosen than the steps shown: the step is not trusted.
    state["fb-sop"] = {Action.FEEDBACK_SOP: {"selected_option": {"value": "customer-inquiry"}}}
    other = draft_from(submitted(form, **state))
    assert (other.slug, other.step, other.revision) == ("customer-inquiry", None, None)


def test_problems_land_under_the_right_inputs():
    with_steps = submitted(Form(slug="s", revision=1, steps=STEPS))
    errors = field_errors(with_steps, {"step": "Pick a step.", "text": "Too long."})
    assert errors == {"fb-step-s-1": "Pick a step.", "fb-text": "Too long."}
    without = submitted(Form())
    assert field_errors(without, {"step": "Pick a step."}) == {"fb-sop": "Pick a step."}
