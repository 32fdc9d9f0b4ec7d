"""Revision diffs: which steps changed, and whether the change means retraining."""

from __future__ import annotations

import json

import pytest

from bot.core.diff import RevisionDiff, StepChange, content_fingerprint, diff_sops, words
from bot.core.model import Option, Question, Sop, Step

BASE = (
    ("Greet the customer", "Say hello and ask for the order number."),
    ("Find the order", "Look it up in the admin panel."),
    ("Issue the refund", "Click Refund and confirm the amount."),
    ("Close the ticket", "Mark the ticket solved."),
)


def make_sop(
    steps: tuple[tuple[str, str] | tuple[str, str, str | None], ...] = BASE,
    *,
    quiz: tuple[Question, ...] = (),
    retrain: str = "auto",
    first_line: int = 10,
    path: str = "sops/refund.md",
) -> Sop:
    built = tuple(
        Step(
            number=n,
            title=s[0],
            body=s[1],
            role=s[2] if len(s) > 2 else None,
            line=first_line + 3 * n,
        )
        for n, s in enumerate(steps, start=1)
    )
    return Sop(
        slug="refund",
        title="Handle a refund request",
        steps=built,
        path=path,
        quiz=quiz,
        retrain=retrain,
    )


def question(text: str = "Who approves a refund over $100?", right: str = "A lead") -> Question:
    return Question(
        number=1,
        text=text,
        options=(Option(right, True), Option("Anyone", False)),
        explanation="Leads approve large refunds.",
        step=3,
    )


def replace(steps, index, new):
    return tuple(new if i == index else s for i, s in enumerate(steps))


def kinds(diff: RevisionDiff) -> list[tuple[str, str, int | None, int | None, str]]:
    return [(c.kind, c.title, c.old_number, c.new_number, c.detail) for c in diff.changes]


# --- words --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Click  *Refund*,  then **confirm**!", ("click", "refund", "then", "confirm")),
        ("It's the customer’s order", ("its", "the", "customers", "order")),
        ("Wait 3.5 hours", ("wait", "3", "5", "hours")),
        ("snake_case\tand\nnewlines", ("snake", "case", "and", "newlines")),
        ("", ()),
        ("  -- ... !!", ()),
    ],
)
def test_words_ignore_case_whitespace_and_punctuation(text, expected):
    assert words(text) == expected


def test_words_keep_a_changed_number_visible():
    assert words("Wait 3.5 hours") != words("Wait 35 hours")


# --- kinds of step change -------------------------------------------------------------------


def test_added_step():
    new = BASE[:2] + (("Verify the order", "Check the items."),) + BASE[2:]

    diff = diff_sops(make_sop(), make_sop(new))

    assert kinds(diff) == [("added", "Verify the order", None, 3, "")]
    assert diff.material
    assert diff.reason == "steps added: Verify the order"


def test_insertion_shifting_later_steps_is_not_a_move():
    new = (("Check the queue", "Pick the oldest ticket."),) + BASE

    diff = diff_sops(make_sop(), make_sop(new))

    assert [c.kind for c in diff.changes] == ["added"]
    assert diff.changed_step_numbers() == (1,)


def test_removed_step():
    new = BASE[:1] + BASE[2:]

    diff = diff_sops(make_sop(), make_sop(new))

    assert kinds(diff) == [("removed", "Find the order", 2, None, "")]
    assert diff.material
    assert diff.reason == "steps removed: Find the order"
    assert diff.changed_step_numbers() == ()


def test_moved_step():
    new = (BASE[0], BASE[2], BASE[3], BASE[1])

    diff = diff_sops(make_sop(), make_sop(new))

    assert kinds(diff) == [("moved", "Find the order", 2, 4, "")]
    assert diff.material
    assert diff.reason == "steps moved: Find the order"


def test_swapping_two_steps_reports_one_move():
    new = (BASE[1], BASE[0], BASE[2], BASE[3])

    diff = diff_sops(make_sop(), make_sop(new))

    assert [c.kind for c in diff.changes] == ["moved"]
    assert diff.changes[0].title in {"Greet the customer", "Find the order"}


def test_reworded_body_is_a_change():
    new = replace(BASE, 2, ("Issue the refund", "Click Refund, then confirm the full amount."))

    diff = diff_sops(make_sop(), make_sop(new))

    assert kinds(diff) == [("changed", "Issue the refund", 3, 3, "reworded")]
    assert diff.reason == "steps changed: Issue the refund"


def test_role_change_is_a_change():
    old = replace(BASE, 2, BASE[2] + ("Agent",))
    new = replace(BASE, 2, BASE[2] + ("Team lead",))

    diff = diff_sops(make_sop(old), make_sop(new))

    assert kinds(diff) == [("changed", "Issue the refund", 3, 3, "role changed")]
    assert diff.material


def test_renamed_step_is_matched_by_position():
    new = replace(BASE, 1, ("Look up the order", BASE[1][1]))

    diff = diff_sops(make_sop(), make_sop(new))

    assert kinds(diff) == [
        ("changed", "Look up the order", 2, 2, "renamed from Find the order"),
    ]


def test_rename_next_to_an_insertion_still_pairs_the_renamed_step():
    new = (
        ("Check the queue", "Pick the oldest ticket."),
        BASE[0],
        ("Look up the order", BASE[1][1]),
        BASE[2],
        BASE[3],
    )

    diff = diff_sops(make_sop(), make_sop(new))

    assert kinds(diff) == [
        ("added", "Check the queue", None, 1, ""),
        ("changed", "Look up the order", 2, 3, "renamed from Find the order"),
    ]


def test_moved_and_changed_is_one_moved_entry_with_detail():
    new = (BASE[0], BASE[2], BASE[3], ("Find the order", "Search for it by email."))

    diff = diff_sops(make_sop(), make_sop(new))

    assert kinds(diff) == [("moved", "Find the order", 2, 4, "reworded")]
    assert diff.reason == "steps moved: Find the order; steps changed: Find the order"
    assert diff.summary_lines() == ["Moved: Find the order (2 -> 4), reworded"]


def test_title_matching_ignores_case_and_punctuation():
    new = replace(BASE, 1, ("find the order.", BASE[1][1]))

    diff = diff_sops(make_sop(), make_sop(new))

    assert diff.changes == ()
    assert not diff.material


def test_renamed_and_reworded_steps_are_listed_in_new_order():
    new = (
        BASE[0],
        ("Verify the order", "Check the items."),
        BASE[2],
        ("Close the ticket", "Mark the ticket solved and tag it."),
    )

    diff = diff_sops(make_sop(), make_sop(new))

    # "Find the order" and "Verify the order" sit in the same gap, so they pair by position.
    assert kinds(diff) == [
        ("changed", "Verify the order", 2, 2, "renamed from Find the order; reworded"),
        ("changed", "Close the ticket", 4, 4, "reworded"),
    ]
    assert diff.changed_step_numbers() == (2, 4)


# --- quiz ---------------------------------------------------------------------------------


def test_quiz_words_changed_is_material():
    old = make_sop(quiz=(question(),))
    new = make_sop(quiz=(question("Who approves a refund over $500?"),))

    diff = diff_sops(old, new)

    assert diff.changes == ()
    assert diff.quiz_changed
    assert diff.material
    assert diff.reason == "quiz changed"
    assert diff.summary_lines() == ["Quiz changed"]


def test_quiz_correct_answer_changed_is_material():
    q = question()
    flipped = Question(
        number=1,
        text=q.text,
        options=(Option("A lead", False), Option("Anyone", True)),
        explanation=q.explanation,
    )

    diff = diff_sops(make_sop(quiz=(q,)), make_sop(quiz=(flipped,)))

    assert diff.quiz_changed and diff.material


def test_quiz_punctuation_only_is_not_material():
    old = make_sop(quiz=(question(),))
    new = make_sop(quiz=(question("who approves a refund, over $100 ?", right="a lead."),))

    diff = diff_sops(old, new)

    assert not diff.quiz_changed
    assert not diff.material
    assert diff.reason == "only wording case/punctuation changed"


# --- material decision table --------------------------------------------------------------

REWORDED = replace(BASE, 0, ("Greet the customer", "Say hi and ask for the order number."))
PUNCTUATED = replace(BASE, 0, ("Greet the Customer!", "say hello, and ask for the order-number"))


@pytest.mark.parametrize(
    ("new_steps", "retrain", "force_minor", "material", "reason"),
    [
        (REWORDED, "auto", False, True, "steps changed: Greet the customer"),
        (PUNCTUATED, "auto", False, False, "only wording case/punctuation changed"),
        (BASE, "auto", False, False, "no step or quiz changes"),
        (BASE, "always", False, True, "retrain: always"),
        (PUNCTUATED, "always", False, True, "retrain: always"),
        (REWORDED, "never", False, False, "retrain: never"),
        (REWORDED, "auto", True, False, "published with --minor"),
        (BASE, "always", True, False, "published with --minor"),
    ],
)
def test_material_decision(new_steps, retrain, force_minor, material, reason):
    diff = diff_sops(make_sop(), make_sop(new_steps, retrain=retrain), force_minor=force_minor)

    assert (diff.material, diff.reason) == (material, reason)


def test_new_revisions_retrain_setting_is_the_one_used():
    old = make_sop(retrain="never")
    new = make_sop(REWORDED, retrain="auto")

    assert diff_sops(old, new).material
    assert not diff_sops(make_sop(retrain="always"), make_sop(retrain="never")).material


def test_punctuation_only_change_lists_no_step_changes():
    assert diff_sops(make_sop(), make_sop(PUNCTUATED)).changes == ()


# --- first revision -----------------------------------------------------------------------


def test_first_revision_adds_every_step_and_is_material():
    diff = diff_sops(None, make_sop(quiz=(question(),)))

    assert [c.kind for c in diff.changes] == ["added"] * 4
    assert diff.changed_step_numbers() == (1, 2, 3, 4)
    assert diff.quiz_changed
    assert (diff.material, diff.reason) == (True, "first revision")


@pytest.mark.parametrize(
    ("retrain", "force_minor", "material", "reason"),
    [
        ("always", False, True, "first revision"),
        ("never", False, False, "retrain: never"),
        ("auto", True, False, "published with --minor"),
    ],
)
def test_first_revision_respects_never_and_minor(retrain, force_minor, material, reason):
    diff = diff_sops(None, make_sop(retrain=retrain), force_minor=force_minor)

    assert (diff.material, diff.reason) == (material, reason)


# --- fingerprint --------------------------------------------------------------------------


def test_fingerprint_is_a_sha256_hex_digest():
    fingerprint = content_fingerprint(make_sop())

    assert len(fingerprint) == 64
    int(fingerprint, 16)


def test_fingerprint_ignores_line_numbers_and_path():
    moved_down = make_sop(first_line=42, path="sops/other/refund.md")

    assert content_fingerprint(moved_down) == content_fingerprint(make_sop())


def test_fingerprint_ignores_trailing_whitespace_line_endings_and_blank_lines():
    body = "Click Refund.\n\nConfirm the amount."
    messy = "Click Refund.  \r\n\r\n\r\n\r\nConfirm the amount.\t\r\n\r\n"
    clean = make_sop(replace(BASE, 2, ("Issue the refund", body)))
    noisy = make_sop(replace(BASE, 2, ("Issue the refund ", messy)))

    assert content_fingerprint(noisy) == content_fingerprint(clean)


def test_fingerprint_changes_when_a_word_changes():
    reworded = make_sop(REWORDED)

    assert content_fingerprint(reworded) != content_fingerprint(make_sop())


def test_fingerprint_changes_when_the_quiz_changes():
    assert content_fingerprint(make_sop(quiz=(question(),))) != content_fingerprint(make_sop())


# --- serialisation and summary ------------------------------------------------------------


def test_to_dict_from_dict_round_trip_through_json():
    new = (
        ("Check the queue", "Pick the oldest ticket."),
        BASE[0],
        BASE[2],
        BASE[3],
        ("Find the order", "Search for it by email."),
    )
    diff = diff_sops(make_sop(quiz=(question(),)), make_sop(new))

    restored = RevisionDiff.from_dict(json.loads(json.dumps(diff.to_dict())))

    assert restored == diff
    assert isinstance(restored.changes, tuple)


def test_summary_lines_in_plain_words():
    diff = RevisionDiff(
        changes=(
            StepChange("added", "Verify the order", None, 3),
            StepChange("moved", "Issue the refund", 2, 4),
            StepChange("changed", "Greet the customer", 1, 1, "reworded"),
            StepChange("changed", "Look up the order", 2, 2, "renamed from Find the order"),
            StepChange("removed", "Call the warehouse", 5, None),
        ),
        quiz_changed=True,
        material=True,
        reason="whatever",
    )

    assert diff.summary_lines() == [
        "Added step 3: Verify the order",
        "Moved: Issue the refund (2 -> 4)",
        "Reworded step 1: Greet the customer",
        "Changed step 2: Look up the order (renamed from Find the order)",
        "Removed: Call the warehouse",
        "Quiz changed",
    ]


def test_summary_of_a_real_diff():
    new = BASE[:2] + (("Verify the order", "Check the items."),) + BASE[2:3]

    diff = diff_sops(make_sop(), make_sop(new))

    assert diff.summary_lines() == ["Added step 3: Verify the order", "Removed: Close the ticket"]
