"""Training Block Kit builders: within Slack's limits, escaped, answers never in values."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.core.quiz import Asked
from bot.services.audience import Unresolved
from bot.services.quizzes import Answered, QuizView
from bot.services.training import Invitation, OverdueNotice, Reminder, UnresolvedNotice
from bot.services.training_records import SopTraining, TrainingRow
from bot.slack.ids import Action
from bot.slack.kit.limits import check_message, check_view
from bot.slack.training import blocks, lists

EVIL = "<!channel> <@U999EVIL> & *x*"
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SINGLE = Asked("Who approves over $200?", ("The agent", "The team lead"), (1,), "Leads do.", 4)
MULTI = Asked("Which need a lead?", ("a", "b", "c " + "long " * 30), (0, 2), "", 3)


def dump(message: dict) -> str:
    check_message(message)
    return json.dumps(message, ensure_ascii=False)


def view(**changes) -> QuizView:
    base = dict(
        verdict="ok", user_id="U1", assignment_id=3, slug="refund", title="Refunds",
        revision=2, pass_mark=80, attempt_id=9, attempt_number=1,
        questions=(SINGLE, MULTI), position=0,
    )  # fmt: skip
    return QuizView(**{**base, **changes})


def values(message: dict) -> list[str]:
    found = []
    for block in message["blocks"]:
        for element in [*(block.get("elements") or []), block.get("accessory") or {},
                        block.get("element") or {}]:  # fmt: skip
            found.append(element.get("value", ""))
            found += [o["value"] for o in element.get("options") or []]
    return [v for v in found if v]


def test_invitation_lists_changes_outcome_and_both_buttons_escaped():
    invite = Invitation(
        assignment_id=3, user_id="U1", slug="refund", title=EVIL, revision=2, first=False,
        changes=tuple(f"Changed step {n}: {EVIL}" for n in range(1, 20)),
        outcome="Done [in a day](https://example.com/x) " + EVIL, pass_mark=75,
    )  # fmt: skip
    text = dump(blocks.invitation(invite))
    assert "<!channel>" not in text and "<@U999EVIL>" not in text
    assert "&lt;!channel&gt;" in text and "…and 4 more" in text
    assert "example.com" not in text and "in a day" in text  # link-free summary
    assert "pass mark 75%" in text
    assert values(blocks.invitation(invite)) == ["3", "refund"]


def test_a_single_answer_question_has_one_choose_button_per_option_with_opaque_values():
    message = blocks.quiz_message(view())
    dump(message)
    assert values(message) == ["9:0:0", "9:0:1"]
    assert "Question 1 of 2" in message["blocks"][1]["text"]["text"]


def test_checkbox_options_from_sop_text_are_verbatim_so_slack_links_nothing():
    hostile = Asked("Which?", ("see #general", "mail ops@example.com", "@here"), (0, 1), "", 2)
    message = blocks.quiz_message(view(questions=(SINGLE, hostile), position=1))
    options = message["blocks"][-2]["element"]["options"]
    assert [o["text"]["type"] for o in options] == ["mrkdwn"] * 3
    assert all(o["text"]["verbatim"] is True for o in options)


def test_a_several_answers_question_uses_checkboxes_and_submit_and_lists_long_options():
    answered = Answered(SINGLE, (0,), False)
    message = blocks.quiz_message(view(position=1, answered=answered, results=(False,)))
    text = dump(message)
    assert "Not quite." in text and "*The team lead*" in text and "Leads do." in text
    assert values(message) == ["0", "1", "2", "9:1"]
    assert [b["type"] for b in message["blocks"]][-2:] == ["input", "actions"]
    assert message["blocks"][-2]["block_id"] == blocks.choices_block_id(9, 1)
    assert "long long" in message["blocks"][-3]["text"]["text"]  # full text above the boxes


@pytest.mark.parametrize(
    ("passed", "expected", "actions"),
    [
        (True, "Passed:", set()),
        (False, "Step 4: *Approve*", {Action.WALK_THROUGH, Action.QUIZ_RETRY}),
    ],
)
def test_the_result_shows_the_score_and_after_a_fail_what_to_review(passed, expected, actions):
    done = view(position=2, results=(passed, passed), score=100 if passed else 0,
                passed=passed, review=() if passed else ((4, "Approve"),))  # fmt: skip
    message = blocks.quiz_message(done)
    assert expected in dump(message)
    shown = {e["action_id"] for b in message["blocks"] for e in b.get("elements") or []
             if e.get("type") == "button"}  # fmt: skip
    assert shown == actions


@pytest.mark.parametrize(
    ("verdict", "words"),
    [
        ("not_yours", "sent to someone else"),
        ("superseded", "replaced by a newer revision"),
        ("withdrawn", "no longer in this SOP's audience"),
        ("stale", "out of date"),
        ("missing", "no longer exists"),
        ("done", "already passed this training with 90%"),
        ("empty", "Tick at least one answer"),
    ],
)
def test_every_refusal_is_one_friendly_sentence(verdict, words):
    assert words in dump(blocks.refusal(view(verdict=verdict, score=90)))


def test_owner_notes_reminders_and_lists_stay_within_limits():
    row = TrainingRow(1, "refund", EVIL, 2, "U1", "pending", T, 0, None, 0, None, None, None,
                      None, None, "Europe/Berlin")  # fmt: skip
    many = tuple((f"U{i:08d}", T) for i in range(500))
    for message in (
        lists.unresolved_notice(
            UnresolvedNotice("refund", EVIL, 2, (Unresolved("#x", "no channel"),) * 40, 3)
        ),
        lists.overdue_notice(OverdueNotice("refund", EVIL, 2, many)),
        blocks.reminder(Reminder(1, "U1", "refund", EVIL, 2, 1, T)),
        lists.my_training(open_rows=[row] * 40, done=[row] * 40),
        lists.sop_training(SopTraining("refund", EVIL, 2, [row] * 300, [row], [])),
        lists.not_a_manager("refund"),
    ):
        assert "<!channel>" not in dump(message)
    check_view({"type": "home", "blocks": lists.home_section(open_rows=[row] * 30, done_count=2)})
    assert "…and 440 more" in dump(lists.overdue_notice(OverdueNotice("r", "t", 1, many)))
