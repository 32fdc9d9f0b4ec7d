"""Quiz selection, generated questions, per-attempt shuffles and grading."""

from __future__ import annotations

import random

import pytest

from bot.core.diff import diff_sops
from bot.core.model import Option, Question, Sop, Step
from bot.core.quiz import (
    MAX_GENERATED,
    Asked,
    build_attempt,
    grade,
    passed,
    score,
    select_questions,
    shuffle,
    steps_to_review,
)

TITLES = ("Greet", "Verify the order", "Decide who approves", "Issue the refund", "Close")


def make_sop(titles=TITLES, *, quiz=(), bodies=None) -> Sop:
    bodies = bodies or {}
    steps = tuple(
        Step(number=n, title=t, body=bodies.get(n, f"Do {t}.")) for n, t in enumerate(titles, 1)
    )
    return Sop(slug="refund", title="Refunds", steps=steps, quiz=quiz)


def q(number: int, step: int | None, *, right=("Yes",), wrong=("No",)) -> Question:
    options = tuple(Option(t, True) for t in right) + tuple(Option(t, False) for t in wrong)
    return Question(number=number, text=f"Q{number}", options=options, step=step)


QUIZ = (q(1, 2), q(2, 4), q(3, None), q(4, 4, right=("A", "B"), wrong=("C",)))


def texts(candidates) -> list[str]:
    return [c.text for c in candidates]


def reworded(step: int, sop: Sop) -> Sop:
    return make_sop(sop_titles(sop), quiz=sop.quiz, bodies={step: "Something else entirely."})


def sop_titles(sop: Sop) -> tuple[str, ...]:
    return tuple(s.title for s in sop.steps)


# --- which authored questions are asked --------------------------------------------------------


@pytest.mark.parametrize(
    ("changed_step", "first", "expected"),
    [
        (2, False, ["Q1"]),  # only the question tied to step 2
        (4, False, ["Q2", "Q4"]),  # both questions tied to step 4
        (3, False, ["Q1", "Q2", "Q3", "Q4"]),  # none tied to step 3: all questions
        (2, True, ["Q1", "Q2", "Q3", "Q4"]),  # the first revision asks everything
    ],
)
def test_authored_questions_tied_to_changed_steps(changed_step, first, expected):
    old = make_sop(quiz=QUIZ)
    new = reworded(changed_step, old)
    diff = None if first else diff_sops(old, new)
    chosen = select_questions(new, diff, first=first, rng=random.Random(1))
    assert texts(chosen) == expected


def test_authored_question_keeps_its_correct_indexes():
    [candidate] = select_questions(
        make_sop(quiz=(QUIZ[3],)), None, first=True, rng=random.Random(0)
    )
    assert candidate.options == ("A", "B", "C") and candidate.correct == (0, 1)


# --- generated questions -----------------------------------------------------------------------


def test_changed_step_gets_a_what_comes_after_question_with_the_real_next_step():
    old = make_sop()
    new = reworded(3, old)
    [question] = select_questions(new, diff_sops(old, new), first=False, rng=random.Random(7))
    assert question.text == "What comes after “Verify the order”?"
    assert question.options[question.correct[0]] == "Decide who approves"
    assert len(question.options) == 4  # the right step and three others
    assert "Verify the order" not in question.options  # the step asked about is not an option
    assert len(set(question.options)) == 4 and question.step == 3


def test_reordered_sop_asks_which_step_comes_first():
    old = make_sop()
    moved = make_sop(("Verify the order", "Greet", *TITLES[2:]))
    questions = select_questions(moved, diff_sops(old, moved), first=False, rng=random.Random(3))
    assert questions[0].text == "Which step comes first?"
    assert questions[0].options[questions[0].correct[0]] == "Verify the order"


@pytest.mark.parametrize(
    ("titles", "expected_count"),
    [
        (("Only step",), 0),  # nothing to choose between
        (("One", "Two"), 1),  # "which comes first"; "after One" has no other option
        (TITLES, MAX_GENERATED),
        (tuple(f"Step {chr(65 + i)}" for i in range(12)), MAX_GENERATED),  # capped
    ],
)
def test_first_revision_without_quiz_generates_up_to_the_cap(titles, expected_count):
    questions = select_questions(make_sop(titles), None, first=True, rng=random.Random(5))
    assert len(questions) == expected_count
    for question in questions:
        assert len(question.options) >= 2 and len(question.correct) == 1


def test_duplicate_step_titles_never_become_a_second_right_looking_answer():
    titles = ("Greet", "Check", "Greet!", "Close")
    questions = select_questions(make_sop(titles), None, first=True, rng=random.Random(2))
    first = next(q for q in questions if q.text == "Which step comes first?")
    assert [o for o in first.options if o.rstrip("!") == "Greet"] == ["Greet"]


# --- shuffling --------------------------------------------------------------------------------


def test_same_seed_same_attempt_other_seed_other_order():
    sop = make_sop(quiz=QUIZ)
    assert build_attempt(sop, None, first=True, seed=42) == build_attempt(
        sop, None, first=True, seed=42
    )
    orders = {
        tuple((a.text, a.options) for a in build_attempt(sop, None, first=True, seed=s))
        for s in range(20)
    }
    assert len(orders) > 5


@pytest.mark.parametrize("seed", range(30))
def test_correct_indexes_follow_the_shuffled_options(seed):
    sop = make_sop(quiz=QUIZ)
    for asked in build_attempt(sop, None, first=True, seed=seed):
        original = next(x for x in sop.quiz if x.text == asked.text)
        right = {o.text for o in original.options if o.correct}
        assert {asked.options[i] for i in asked.correct} == right
        assert sorted(asked.options) == sorted(o.text for o in original.options)


def test_the_right_answer_is_not_always_in_the_same_place():
    sop = make_sop(quiz=(q(1, None, right=("Yes",), wrong=("No", "Maybe", "Never")),))
    positions = {build_attempt(sop, None, first=True, seed=s)[0].correct for s in range(40)}
    assert len(positions) == 4


def test_asked_survives_a_round_trip_through_json():
    candidates = select_questions(make_sop(quiz=(QUIZ[3],)), None, first=True, rng=random.Random(0))
    [asked] = shuffle(candidates, random.Random(9))
    assert Asked.from_dict(asked.to_dict()) == asked and asked.multiple


# --- grading -----------------------------------------------------------------------------------

MULTI = Asked(text="t", options=("a", "b", "c", "d"), correct=(0, 2))
SINGLE = Asked(text="t", options=("a", "b"), correct=(1,))


@pytest.mark.parametrize(
    ("question", "chosen", "right"),
    [
        (SINGLE, [1], True),
        (SINGLE, [0], False),
        (SINGLE, [], False),
        (MULTI, [2, 0], True),
        (MULTI, [0], False),  # half right is wrong
        (MULTI, [0, 2, 3], False),  # one too many is wrong
        (MULTI, [0, 2, 2], True),  # a repeated index is the same choice
        (MULTI, [7], False),  # a forged index
    ],
)
def test_grade_needs_exactly_the_correct_options(question, chosen, right):
    assert grade(question, chosen) is right


@pytest.mark.parametrize(
    ("correct", "total", "percent", "pass_mark", "ok"),
    [
        (4, 5, 80, 80, True),
        (3, 5, 60, 80, False),
        (2, 3, 66, 67, False),  # 66.7 % is rounded down
        (3, 4, 75, 75, True),
        (0, 0, 100, 80, True),  # nothing to ask counts as passed
        (0, 2, 0, 0, True),
    ],
)
def test_score_and_pass_mark(correct, total, percent, pass_mark, ok):
    assert score(correct, total) == percent
    assert passed(score(correct, total), pass_mark) is ok


def test_steps_to_review_are_the_wrongly_answered_steps_once_each():
    asked = [
        Asked("a", ("x", "y"), (0,), step=4),
        Asked("b", ("x", "y"), (0,), step=2),
        Asked("c", ("x", "y"), (0,), step=None),
        Asked("d", ("x", "y"), (0,), step=4),
        Asked("e", ("x", "y"), (0,), step=5),
    ]
    assert steps_to_review(asked, [False, False, False, False, True]) == (2, 4)
