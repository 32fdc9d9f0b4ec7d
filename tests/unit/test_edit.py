"""Splicing one step of an SOP file: only that step's lines change, byte for byte."""

from __future__ import annotations

import difflib

import pytest

from bot.core.edit import NotEditable, StepDraft, insert_step, remove_step, replace_step, step_draft
from bot.core.parse import parse_sop

FILE = """---
title: Tea
owner: U1
---
# Tea

Why tea.

## Roles
- **Host**: makes it.
- **Guest**: drinks it.

## Steps
### 1. Boil water
Role: Host
Fill the kettle.
> "Tea?"
- [ ] Kettle on

### 2. Brew
Steep for **3 minutes**.

## Outcome
Tea.
"""


def changed(before: str, after: str) -> list[str]:
    """The -/+ lines of a diff, without headers."""
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
        if line[:1] in "-+" and not line.startswith(("---", "+++"))
    ]


def test_the_draft_is_the_step_as_written():
    draft = step_draft(FILE, 1)
    assert draft == StepDraft("Boil water", "Host", 'Fill the kettle.\n> "Tea?"\n- [ ] Kettle on')
    assert step_draft(FILE, 2) == StepDraft("Brew", None, "Steep for **3 minutes**.")


def test_saving_the_draft_unchanged_changes_no_byte():
    for n in (1, 2):
        assert replace_step(FILE, n, step_draft(FILE, n)) == FILE
    crlf = "\ufeff" + FILE.replace("\n", "\r\n")
    assert replace_step(crlf, 2, step_draft(crlf, 2)) == crlf


def test_a_new_body_replaces_only_the_body_lines():
    new = replace_step(FILE, 1, StepDraft("Boil water", "Host", "Fill it to the line.\n"))
    assert changed(FILE, new) == [
        "-Fill the kettle.",
        '-> "Tea?"',
        "-- [ ] Kettle on",
        "+Fill it to the line.",
    ]


def test_title_keeps_its_number_and_role_lines_follow_the_choice():
    new = replace_step(FILE, 1, StepDraft("Boil fresh water", None, step_draft(FILE, 1).body))
    assert changed(FILE, new) == ["-### 1. Boil water", "-Role: Host", "+### 1. Boil fresh water"]
    new = replace_step(FILE, 2, StepDraft("Brew", "Guest", "Steep for **3 minutes**."))
    assert changed(FILE, new) == ["+Role: Guest"]
    sop, errors = parse_sop(new, path="tea.md", default_slug="tea")
    assert errors == [] and sop is not None and sop.steps[1].role == "Guest"


def test_add_and_remove_touch_only_the_new_or_removed_lines():
    new = insert_step(FILE, 1, StepDraft("Warm the pot", "Host", "Swirl hot water."))
    assert changed(FILE, new) == ["+### Warm the pot", "+Role: Host", "+Swirl hot water.", "+"]
    sop, errors = parse_sop(new, path="tea.md", default_slug="tea")
    assert errors == [] and sop is not None
    assert [s.title for s in sop.steps] == ["Boil water", "Warm the pot", "Brew"]
    last = insert_step(FILE, 2, StepDraft("Serve", None, "Pour."))
    assert [s.title for s in parse_sop(last, path="t.md", default_slug="t")[0].steps][-1] == "Serve"
    gone = remove_step(FILE, 1)
    assert changed(FILE, gone)[0] == "-### 1. Boil water" and len(changed(FILE, gone)) == 6
    assert [s.title for s in parse_sop(gone, path="t.md", default_slug="t")[0].steps] == ["Brew"]


def test_numbered_list_steps_are_not_editable():
    listed = "# T\n\n## Steps\n1. One\n2. Two\n"
    with pytest.raises(NotEditable, match="numbered list"):
        step_draft(listed, 1)
    with pytest.raises(NotEditable, match="no step 3"):
        step_draft(FILE, 3)


QUIZ_FILE = (
    FILE
    + """
## Quiz
1. What do you fill first? (step 1)
   - [x] The kettle
   - [ ] The pot (step 2)
   > The kettle (step 2)
2. How long does it steep?
   Think of the clock. (Step 2)
   - [x] 3 minutes
   - [ ] 10 minutes
3. Who drinks it?
   - [x] The guest
   - [ ] The host
"""
)


def quiz_ties(text: str) -> list[int | None]:
    sop, errors = parse_sop(text, path="tea.md", default_slug="tea")
    assert errors == [] and sop is not None
    return [q.step for q in sop.quiz]


def test_adding_a_step_renumbers_the_quiz_ties_after_it():
    assert quiz_ties(QUIZ_FILE) == [1, 2, None]
    first = insert_step(QUIZ_FILE, 0, StepDraft("Warm the cups", None, "Rinse them hot."))
    assert quiz_ties(first) == [2, 3, None]
    middle = insert_step(QUIZ_FILE, 1, StepDraft("Warm the pot", None, "Swirl hot water."))
    assert quiz_ties(middle) == [1, 3, None]
    # Only the questions' ties change: options and explanations keep their words.
    assert [line for line in changed(QUIZ_FILE, middle) if "step" in line.lower()] == [
        "-   Think of the clock. (Step 2)",
        "+   Think of the clock. (Step 3)",
    ]


def test_removing_a_step_unties_its_questions_and_renumbers_the_rest():
    gone = remove_step(QUIZ_FILE, 1)
    assert quiz_ties(gone) == [None, 1, None]
    assert "1. What do you fill first?\n" in gone
    assert "   Think of the clock. (Step 1)\n" in gone
    assert quiz_ties(remove_step(QUIZ_FILE, 2)) == [1, None, None]
