"""Parsing and validating SOP Markdown files."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.core.model import Option, Role, Sop, SopError
from bot.core.parse import Unchanged, load_sops, parse_sop, read_sops

SOPS_DIR = Path(__file__).resolve().parents[2] / "sops"

STEPS = "## Steps\n### Do the thing\nRole: Agent\nJust do it.\n"
ROLES = "## Roles\n- **Agent**: does things.\n- **Team lead**: approves things.\n"


def md(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def parse(text: str, slug: str = "sample") -> tuple[Sop | None, list[SopError]]:
    return parse_sop(md(text), path=f"{slug}.md", default_slug=slug)


def parse_ok(text: str, slug: str = "sample") -> Sop:
    sop, errors = parse(text, slug)
    assert errors == []
    assert sop is not None
    return sop


def errors_of(text: str) -> list[str]:
    return [str(e) for e in parse(text)[1]]


def with_front_matter(front: str, body: str = "# Title\n" + STEPS) -> str:
    return f"---\n{front}\n---\n{body}"


# --- front matter ---------------------------------------------------------------------------


FULL = md(
    """
    ---
    title: Handle a refund request
    id: refund-request
    owner: U024BE7LH
    audience: ["#support", "@support-team", "U0G9QF9C6", "jo@example.com"]
    tags: [Support, BILLING]
    review_every: 90d
    pass_mark: 70
    retrain: always
    ---
    # Ignored H1 because front matter has a title

    Why this SOP exists.

    ## Roles
    - **Agent**: answers the ticket.
    - **Team lead**: approves refunds over $200.

    ## Steps
    ### Greet the customer
    Role: agent
    Say hello.
    > "Hi! Thanks for reaching out, I'm on it."
    - [ ] Ticket assigned to you
    - [x] Customer name checked

    ### 2. Verify the order
    Role: TEAM LEAD
    Look it up.

    ## Outcome
    The customer has a confirmed refund within 24 hours.

    ## Quiz
    1. Who approves a refund over $200? (step 2)
       - [ ] The agent
       - [x] The team lead
       > Refunds over $200 always need a second pair of eyes.
    """
)


def test_full_example_parses_every_field() -> None:
    sop, errors = parse_sop(FULL, path="support/refund.md", default_slug="refund")
    assert errors == []
    assert sop is not None
    assert (sop.slug, sop.title, sop.path) == (
        "refund-request",
        "Handle a refund request",
        "support/refund.md",
    )
    assert sop.owner == "U024BE7LH"
    assert sop.audience == ("#support", "@support-team", "U0G9QF9C6", "jo@example.com")
    assert sop.tags == ("support", "billing")
    assert (sop.review_every_days, sop.pass_mark, sop.retrain) == (90, 70, "always")
    assert sop.background == "Why this SOP exists."
    assert sop.roles == (
        Role("Agent", "answers the ticket."),
        Role("Team lead", "approves refunds over $200."),
    )
    assert sop.outcome == "The customer has a confirmed refund within 24 hours."
    first, second = sop.steps
    assert (first.number, first.title, first.role, first.line) == (
        1,
        "Greet the customer",
        "Agent",
        20,
    )
    assert first.body == (
        "Say hello.\n"
        '> "Hi! Thanks for reaching out, I\'m on it."\n'
        "- [ ] Ticket assigned to you\n"
        "- [x] Customer name checked"
    )
    assert first.scripts == ('"Hi! Thanks for reaching out, I\'m on it."',)
    assert first.checklist == ("Ticket assigned to you", "Customer name checked")
    assert (second.title, second.role, second.body) == (
        "Verify the order",
        "Team lead",
        "Look it up.",
    )
    (question,) = sop.quiz
    assert question.text == "Who approves a refund over $200?"
    assert question.step == 2
    assert question.line == 35
    assert question.options == (Option("The agent", False), Option("The team lead", True))
    assert question.explanation == "Refunds over $200 always need a second pair of eyes."


def test_defaults_without_front_matter() -> None:
    sop = parse_ok("# My SOP\n" + STEPS, slug="my-sop")
    assert (sop.slug, sop.title, sop.owner, sop.audience, sop.tags) == (
        "my-sop",
        "My SOP",
        None,
        (),
        (),
    )
    assert (sop.review_every_days, sop.pass_mark, sop.retrain) == (None, 80, "auto")
    assert (sop.roles, sop.quiz, sop.outcome, sop.background) == ((), (), "", "")
    assert sop.steps[0].role == "Agent"  # no ## Roles section: kept as written


@pytest.mark.parametrize(
    ("front", "attribute", "expected"),
    [
        ("title: From front matter", "title", "From front matter"),
        ("id: other-id-2", "slug", "other-id-2"),
        ("id: 2024", "slug", "2024"),
        ("owner: W012A3CDE", "owner", "W012A3CDE"),
        ("owner: jo@example.com", "owner", "jo@example.com"),
        ('audience: "#support"', "audience", ("#support",)),
        (
            'audience: ["#ops_team", "@managers", "jo@example.com", "U0G9QF9C6"]',
            "audience",
            ("#ops_team", "@managers", "jo@example.com", "U0G9QF9C6"),
        ),
        ("tags: Support", "tags", ("support",)),
        ("tags: [Ops, vendors, ops]", "tags", ("ops", "vendors")),
        ("review_every: 90d", "review_every_days", 90),
        ("review_every: 2w", "review_every_days", 14),
        ("review_every: 6m", "review_every_days", 180),
        ("pass_mark: 0", "pass_mark", 0),
        ("pass_mark: 100", "pass_mark", 100),
        ("retrain: never", "retrain", "never"),
        ("retrain: Always", "retrain", "always"),
        ("owner:", "owner", None),
    ],
)
def test_front_matter_values(front: str, attribute: str, expected: object) -> None:
    sop = parse_ok(with_front_matter(front))
    assert getattr(sop, attribute) == expected


@pytest.mark.parametrize(
    ("front", "line", "fragment"),
    [
        ("id: Refund_Request", 2, "id 'Refund_Request' may use only lowercase"),
        ("owner: bob", 2, "owner 'bob' must be a Slack user ID"),
        ("owner: u024be7lh", 2, "owner 'u024be7lh'"),
        ('audience: ["#support", "support"]', 2, "audience entry 'support'"),
        ('audience:\n  - "#support"\n  - "#Support"', 4, "audience entry '#Support'"),
        ("audience:\n  - #support", 3, "empty audience entry; quote channels"),
        ("review_every: 90", 2, "review_every 90 must be a number of days, weeks or months"),
        ("review_every: 3y", 2, "review_every '3y'"),
        ("review_every: 0d", 2, "review_every '0d'"),
        ("pass_mark: 101", 2, "pass_mark 101 must be a whole percentage from 0 to 100"),
        ("pass_mark: -1", 2, "pass_mark -1"),
        ('pass_mark: "80%"', 2, "pass_mark '80%'"),
        ("pass_mark: true", 2, "pass_mark True"),
        ("retrain: sometimes", 2, "retrain 'sometimes' must be one of: auto, always, never"),
        ("tags: [ok, {a: 1}]", 2, "tag {'a': 1} must be a word"),
        ("title: [a, b]", 2, "title must be one line of text"),
        (
            "title: x\nreviw_every: 90d",
            3,
            "unknown front-matter key `reviw_every`; did you mean `review_every`?",
        ),
        ("Owner: U024BE7LH", 2, "unknown front-matter key `Owner`; did you mean `owner`?"),
        ("colour: blue", 2, "unknown front-matter key `colour`; known keys: title, id"),
        ("id: a\nid: b", 3, "front-matter key `id` appears twice"),
        ("title: x\naudience: [#support]", 3, "front matter is not valid YAML"),
        ("audience: [@team]", 2, "quote values that start with # or @"),
        ("- just\n- a list", 2, "front matter must be `key: value` lines"),
    ],
)
def test_front_matter_errors(front: str, line: int, fragment: str) -> None:
    sop, errors = parse(with_front_matter(front))
    assert len(errors) == 1, errors
    assert errors[0].path == "sample.md"
    assert errors[0].line == line
    assert fragment in errors[0].message
    # A bad value falls back to its default; only a bad id makes the SOP unusable.
    assert (sop is None) == front.startswith("id: R")


def test_bad_front_matter_values_fall_back_to_defaults() -> None:
    front = "owner: bob\naudience: [ok]\nreview_every: 90\npass_mark: 900\nretrain: x"
    sop, errors = parse(with_front_matter(front))
    assert len(errors) == 5
    assert sop is not None
    assert (sop.owner, sop.audience, sop.review_every_days, sop.pass_mark, sop.retrain) == (
        None,
        (),
        None,
        80,
        "auto",
    )


def test_unclosed_front_matter() -> None:
    assert errors_of("---\ntitle: x\n\n# Title\n" + STEPS) == [
        "sample.md:1: front matter opened with --- is never closed; add a --- line after it"
    ]


def test_bom_and_crlf_are_normalised() -> None:
    text = "\ufeff---\r\nid: crlf\r\n---\r\n# Title\r\n## Steps\r\n### One\r\nBody\r\n"
    sop, errors = parse_sop(text, path="crlf.md", default_slug="crlf")
    assert errors == []
    assert sop is not None
    assert (sop.slug, sop.title, sop.steps[0].title, sop.steps[0].body) == (
        "crlf",
        "Title",
        "One",
        "Body",
    )
    assert sop.steps[0].line == 6


# --- title and id ---------------------------------------------------------------------------


def test_missing_title_is_an_error() -> None:
    sop, errors = parse(STEPS)
    assert sop is None
    assert [str(e) for e in errors] == [
        "sample.md:1: the SOP has no title; add a `# Title` line or `title:` in front matter"
    ]


def test_title_defaults_to_first_h1_even_after_background() -> None:
    assert parse_ok("Intro\n\n# First\n\n# Second\n" + STEPS).title == "First"


def test_bad_file_name_slug_needs_an_id() -> None:
    sop, errors = parse("# T\n" + STEPS, slug="My SOP")
    assert sop is None
    assert [e.line for e in errors] == [1]
    assert "rename the file or set `id:`" in errors[0].message


# --- steps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("Greet the customer", "Greet the customer"),
        ("1. Greet the customer", "Greet the customer"),
        ("12) Greet the customer", "Greet the customer"),
        ("Step 1: Greet the customer", "Greet the customer"),
        ("step 3 - Greet the customer", "Greet the customer"),
        ("Step 3 — Greet the customer", "Greet the customer"),
        ("Step 4. Greet the customer", "Greet the customer"),
        ("Step 5 Greet the customer", "Greet the customer"),
        ("3 - Greet the customer", "Greet the customer"),
        ("24-hour follow-up", "24-hour follow-up"),
        ("1.5x the refund", "1.5x the refund"),
        ("2 minutes of silence", "2 minutes of silence"),
        ("Stepping back", "Stepping back"),
    ],
)
def test_step_numbering_is_not_part_of_the_title(heading: str, title: str) -> None:
    sop = parse_ok(f"# T\n## Steps\n### {heading}\nBody\n")
    assert sop.steps[0].title == title


@pytest.mark.parametrize("heading", ["1.", "Step 2:", "Step 3", "1)"])
def test_step_with_only_a_number_has_an_empty_title(heading: str) -> None:
    assert errors_of(f"# T\n## Steps\n### {heading}\nBody\n") == [
        "sample.md:3: step 1 has no title; write it after the number"
    ]


def test_steps_are_h3_headings_in_order_with_line_numbers() -> None:
    sop = parse_ok(
        """
        # T
        ## Steps
        Intro text before the first step is not a step.

        ### First
        one

        #### A sub-heading stays in the body
        ### Second
        ### Third
        two
        ## Notes
        ### Not a step: other sections are ignored
        """
    )
    assert [(s.number, s.title, s.line) for s in sop.steps] == [
        (1, "First", 5),
        (2, "Second", 9),
        (3, "Third", 10),
    ]
    assert sop.steps[0].body == "one\n\n#### A sub-heading stays in the body"
    assert sop.steps[1].body == ""


def test_sections_are_recognised_case_insensitively_but_only_at_level_2() -> None:
    sop = parse_ok("# T\n## STEPS:\n### One\n### Quiz\n# Outcome\nnot an outcome\n")
    assert [s.title for s in sop.steps] == ["One", "Quiz"]
    assert sop.outcome == ""
    assert sop.steps[1].body == "# Outcome\nnot an outcome"


def test_steps_as_an_ordered_list() -> None:
    sop = parse_ok(
        """
        # T
        ## Roles
        - Agent: answers.
        ## Steps
        1. Greet the customer
           Role: agent
           Say hello.

           > "Hi there!"
           > "How can I help?"

           - [ ] Name checked
        2. Step 2: Verify the order
           Look it up.
        3) Close
        """
    )
    first, second, third = sop.steps
    assert (first.title, first.role, first.line) == ("Greet the customer", "Agent", 5)
    assert first.body == 'Say hello.\n\n> "Hi there!"\n> "How can I help?"\n\n- [ ] Name checked'
    assert first.scripts == ('"Hi there!"\n"How can I help?"',)
    assert first.checklist == ("Name checked",)
    assert (second.title, second.role, second.body, second.line) == (
        "Verify the order",
        None,
        "Look it up.",
        13,
    )
    # `3)` starts a new list in CommonMark; its items are still steps.
    assert (third.number, third.title) == (3, "Close")


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        ("# T\n", 1, "the SOP has no `## Steps` section; add one with a `### ` per step"),
        (
            "# T\n## Steps\nJust prose.\n## Outcome\nDone.\n",
            2,
            "`## Steps` has no steps; add a `### Step title` per step (or a numbered list)",
        ),
        ("# T\n## Steps\n- a bullet is not a step\n", 2, "`## Steps` has no steps"),
    ],
)
def test_missing_or_empty_steps(body: str, line: int, message: str) -> None:
    sop, errors = parse(body)
    assert sop is None
    assert [(e.line, e.message[: len(message)]) for e in errors] == [(line, message)]


# --- roles ----------------------------------------------------------------------------------


def test_role_list_formats() -> None:
    sop = parse_ok(
        md(
            """
        # T
        ## roles
        - **Agent**: answers the ticket.
        - **Team lead:** approves refunds
          over $200.
        - Finance: handles chargebacks.
        - Legal — reads contracts.
        - Observer
        """
        )
        + STEPS
    )
    assert sop.roles == (
        Role("Agent", "answers the ticket."),
        Role("Team lead", "approves refunds over $200."),
        Role("Finance", "handles chargebacks."),
        Role("Legal", "reads contracts."),
        Role("Observer", ""),
    )


@pytest.mark.parametrize(
    ("role_line", "role"),
    [
        ("Role: Team lead", "Team lead"),
        ("role: TEAM LEAD", "Team lead"),
        ("**Role:** team lead", "Team lead"),
        ("**Role**: Team lead", "Team lead"),
        ("Role: **Team lead**", "Team lead"),
    ],
)
def test_role_line_matches_roles_case_insensitively(role_line: str, role: str) -> None:
    sop = parse_ok(f"# T\n{ROLES}## Steps\n### One\n\n{role_line}\nBody\n")
    assert (sop.steps[0].role, sop.steps[0].body) == (role, "Body")


def test_role_only_counts_on_the_first_line_of_the_body() -> None:
    sop = parse_ok(f"# T\n{ROLES}## Steps\n### One\nBody\nRole: Agent\n")
    assert (sop.steps[0].role, sop.steps[0].body) == (None, "Body\nRole: Agent")


def test_unknown_role_is_an_error() -> None:
    assert errors_of(f"# T\n{ROLES}## Steps\n### One\nRole: Manager\n") == [
        "sample.md:7: role 'Manager' is not listed under ## Roles (listed: Agent, Team lead); "
        "fix the name or add the role there"
    ]


def test_empty_role_and_duplicate_role_are_errors() -> None:
    text = "# T\n## Roles\n- Agent: a\n- agent: b\n## Steps\n### One\nRole:\n"
    assert [e.line for e in parse(text)[1]] == [4, 7]


# --- scripts, checklists, background, outcome -----------------------------------------------


def test_scripts_and_checklist_extraction() -> None:
    sop = parse_ok(
        """
        # T
        ## Steps
        ### One
        > "First line
        > second line"

        Then:

        > Second quote
        - [ ] Check A
        - [x] Check B
          - [ ] Nested check
        - plain bullet is not a check
        - Quoted in a list:
          > not a top-level quote
        """
    )
    step = sop.steps[0]
    assert step.scripts == ('"First line\nsecond line"', "Second quote")
    assert step.checklist == ("Check A", "Check B", "Nested check")


def test_background_and_outcome_keep_markdown() -> None:
    sop = parse_ok(
        """
        ---
        id: x
        ---
        # Title

        Some **bold** background.

        - with a list
        ## Steps
        ### One
        ## Outcome

        A *result*.

        > quoted
        ## Notes
        ignored
        """
    )
    assert sop.background == "Some **bold** background.\n\n- with a list"
    assert sop.outcome == "A *result*.\n\n> quoted"


def test_background_without_h1_starts_after_front_matter() -> None:
    sop = parse_ok(with_front_matter("title: T", "Background here.\n" + STEPS))
    assert sop.background == "Background here."


# --- quiz -----------------------------------------------------------------------------------


def quiz(questions: str, steps: int = 3) -> str:
    step_md = "".join(f"### Task {n}\nbody\n" for n in range(1, steps + 1))
    return f"# T\n## Steps\n{step_md}## Quiz\n{md(questions)}"


QUIZ_LINE = 10  # first line after `## Quiz` with 3 steps


def test_quiz_with_multiple_correct_answers_and_explanations() -> None:
    sop = parse_ok(
        quiz(
            """
            1. Which are fruit? (Step 3)
               - [x] Apple
               - [ ] Carrot
               - [X] Pear
               > Both grow on trees.
               >
               > Carrots are roots.
            2. A question that spans
               two lines
               - [ ] No
               - [x] Yes
            """
        )
    )
    first, second = sop.quiz
    assert (first.number, first.text, first.step, first.line) == (
        1,
        "Which are fruit?",
        3,
        QUIZ_LINE,
    )
    assert [o.correct for o in first.options] == [True, False, True]
    assert [o.text for o in first.options] == ["Apple", "Carrot", "Pear"]
    assert first.explanation == "Both grow on trees.\n\nCarrots are roots."
    assert (second.number, second.text, second.step, second.explanation) == (
        2,
        "A question that spans two lines",
        None,
        "",
    )


@pytest.mark.parametrize(
    ("questions", "message"),
    [
        (
            "1. Q?\n   - [ ] a\n   - [ ] b\n",
            "question 1 has no correct option; mark one with `- [x]`",
        ),
        ("1. Q?\n   - [x] a\n", "question 1 has 1 option(s); give it at least 2"),
        (
            "1. Q?\n   - a\n   - b\n",
            "question 1 has 0 option(s); give it at least 2 (write options as `- [ ] answer`, "
            "and `- [x] answer` for correct ones)",
        ),
        (
            "1. Q?\n" + "".join(f"   - [x] {n}\n" for n in range(11)),
            "question 1 has 11 options; keep it to 10",
        ),
        (
            "1. Q? (step 4)\n   - [x] a\n   - [ ] b\n",
            "question 1 refers to step 4, but the SOP has 3 step(s); fix the (step N) number",
        ),
        ("1. Q? (step 0)\n   - [x] a\n   - [ ] b\n", "question 1 refers to step 0"),
        ("1. (step 1)\n   - [x] a\n   - [ ] b\n", "question 1 has no text"),
        ("Just prose.\n", "`## Quiz` has no questions"),
    ],
)
def test_quiz_errors(questions: str, message: str) -> None:
    sop, errors = parse(quiz(questions))
    assert sop is not None
    assert len(errors) == 1, errors
    expected_line = QUIZ_LINE - 1 if "no questions" in message else QUIZ_LINE
    assert errors[0].line == expected_line
    assert errors[0].message.startswith(message)


def test_ten_options_are_fine() -> None:
    sop = parse_ok(quiz("1. Q?\n" + "".join(f"   - [x] {n}\n" for n in range(10))))
    assert len(sop.quiz[0].options) == 10


def test_question_with_one_unchecked_option_reports_both_problems() -> None:
    assert [e.message[:22] for e in parse(quiz("1. Q?\n   - [ ] a\n"))[1]] == [
        "question 1 has 1 optio",
        "question 1 has no corr",
    ]


# --- every error in one pass ----------------------------------------------------------------


SIX_ERRORS = md(
    """
    ---
    id: six-errors
    owner: nobody
    audience: ["#support", "support team"]
    reviewevery: 90d
    ---
    # Six errors
    ## Roles
    - **Agent**: answers.
    ## Steps
    ### 1. Greet
    Role: Manager
    ### Step 2:
    body
    ## Quiz
    1. Who approves? (step 9)
       - [ ] a
       - [x] b
    """
)


def test_a_file_with_six_errors_reports_all_six() -> None:
    sop, errors = parse_sop(SIX_ERRORS, path="ops/six.md", default_slug="six")
    assert [str(e).split(";")[0] for e in errors] == [
        "ops/six.md:3: owner 'nobody' must be a Slack user ID like U024BE7LH or an e-mail address",
        "ops/six.md:4: audience entry 'support team' must be a #channel (lowercase), an @handle, "
        "a user ID like U024BE7LH or an e-mail address",
        "ops/six.md:5: unknown front-matter key `reviewevery`",
        "ops/six.md:12: role 'Manager' is not listed under ## Roles (listed: Agent)",
        "ops/six.md:13: step 2 has no title",
        "ops/six.md:16: question 1 refers to step 9, but the SOP has 2 step(s)",
    ]
    assert "did you mean `review_every`?" in errors[2].message
    assert sop is not None and sop.slug == "six-errors"


# --- loading a directory --------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(md(text), encoding="utf-8")


def test_duplicate_id_is_reported_on_the_second_file(tmp_path: Path) -> None:
    write(tmp_path / "a" / "first.md", "# First\n" + STEPS)
    write(tmp_path / "b" / "second.md", "---\ntitle: Second\nid: first\n---\n" + STEPS)
    sops, errors = load_sops(tmp_path)
    assert [s.path for s in sops] == ["a/first.md"]
    assert [str(e) for e in errors] == [
        "b/second.md:3: id 'first' is already used by a/first.md; give this SOP a different `id:`"
    ]


def test_duplicate_of_an_unusable_file_is_still_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\nid: same\n---\n# No steps\n")
    write(tmp_path / "b.md", "---\nid: same\n---\n# B\n" + STEPS)
    sops, errors = load_sops(tmp_path)
    assert sops == []
    assert [(e.path, e.line) for e in errors] == [("a.md", 1), ("b.md", 2)]


def test_load_sops_skips_readme_hidden_and_underscored(tmp_path: Path) -> None:
    write(tmp_path / "z.md", "# Z\n" + STEPS)
    write(tmp_path / "sub" / "a.md", "# A\n" + STEPS)
    for skipped in ("README.md", "sub/readme.MD", "_drafts/x.md", ".git/x.md", "sub/_wip.md"):
        write(tmp_path / skipped, "not an SOP")
    (tmp_path / "notes.txt").write_text("not markdown", encoding="utf-8")
    (tmp_path / "bad.md").write_bytes(b"# Bad \xff\n")
    sops, errors = load_sops(str(tmp_path))
    assert [(s.path, s.slug) for s in sops] == [("sub/a.md", "a"), ("z.md", "z")]
    assert [(e.path, e.line) for e in errors] == [("bad.md", 1)]


def test_load_sops_reports_errors_from_every_file(tmp_path: Path) -> None:
    write(tmp_path / "one.md", "# One\n")
    write(tmp_path / "two.md", "---\npass_mark: 200\n---\n# Two\n" + STEPS)
    sops, errors = load_sops(tmp_path)
    assert [s.slug for s in sops] == ["two"]
    assert [(e.path, e.line) for e in errors] == [("one.md", 1), ("two.md", 2)]


def test_read_sops_lists_a_known_text_unchanged_in_its_place_and_parses_the_rest(
    tmp_path: Path,
) -> None:
    write(tmp_path / "a.md", "# A\n" + STEPS)
    write(tmp_path / "b.md", "# B\n" + STEPS)
    write(tmp_path / "c.md", "# C\n" + STEPS)
    known = {
        "a.md": ((tmp_path / "a.md").read_text(encoding="utf-8"), "a"),
        "b.md": ("an older text", "b"),
    }
    found, errors = read_sops(tmp_path, known=known)
    assert errors == []
    assert [type(s).__name__ for s in found] == ["Unchanged", "Sop", "Sop"]
    assert found[0] == Unchanged("a.md", "a") and [s.slug for s in found[1:]] == ["b", "c"]


def test_read_sops_an_unchanged_file_keeps_its_id_from_a_later_file(tmp_path: Path) -> None:
    write(tmp_path / "a.md", "---\nid: same\n---\n# A\n" + STEPS)
    write(tmp_path / "b.md", "---\nid: same\n---\n# B\n" + STEPS)
    known = {"a.md": ((tmp_path / "a.md").read_text(encoding="utf-8"), "same")}
    found, errors = read_sops(tmp_path, known=known)
    assert found == [Unchanged("a.md", "same")]
    assert [str(e) for e in errors] == [
        "b.md:2: id 'same' is already used by a.md; give this SOP a different `id:`"
    ]


def test_load_sops_rejects_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        load_sops(tmp_path / "nope")


# --- the sample SOPs shipped in sops/ -------------------------------------------------------


def test_sample_sops_load_without_errors() -> None:
    sops, errors = load_sops(SOPS_DIR)
    assert errors == []
    assert sorted(s.slug for s in sops) == [
        "customer-inquiry",
        "new-hire-onboarding",
        "open-the-day",
        "outsourced-work",
        "refund-request",
    ]
    refund = next(s for s in sops if s.slug == "refund-request")
    assert refund.title == "Handle a refund request"


@pytest.mark.parametrize("sop", load_sops(SOPS_DIR)[0], ids=lambda s: s.slug)
def test_sample_sop_is_complete_and_round_trips(sop: Sop) -> None:
    assert Sop.from_dict(sop.to_dict()) == sop
    assert sop.background and sop.outcome and sop.owner
    assert 2 <= len(sop.roles) <= 4
    assert 5 <= len(sop.steps) <= 10
    assert all(step.role for step in sop.steps)
    assert sum(1 for step in sop.steps if step.scripts) >= 3
    assert all(step.checklist for step in sop.steps)
    assert len(sop.quiz) >= 4
    assert all(q.explanation and q.step for q in sop.quiz)


def test_h1_inside_a_section_is_not_the_title() -> None:
    sop, errors = parse("## Steps\n### One\n# Not the title\n")
    assert sop is None
    assert [e.message[:22] for e in errors] == ["the SOP has no title; "]


def test_a_repeated_section_is_an_error() -> None:
    sop, errors = parse("# T\n## Outcome\nA\n" + STEPS + "## outcome\nB\n")
    assert sop is not None and sop.outcome == "A"
    assert [str(e) for e in errors] == [
        "sample.md:8: second `## Outcome` section; merge it into one"
    ]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        (f"# {'Long title ' * 20}\n\n## Steps\n### One\nx\n", "shorten it to 150"),
        (f"# T\n\n## Steps\n### {'word ' * 40}\nx\n", "step 1's title is"),
        (f"# T\n\n## Steps\n### One\nRole: {'r' * 101}\nx\n", "the role name is 101"),
        (f"---\nid: {'a' * 65}\n---\n# T\n\n## Steps\n### One\nx\n", "use 64 or fewer"),
    ],
)
def test_names_too_long_for_slack_or_the_database_are_errors(source, fragment):
    sop, errors = parse_sop(source, path="x.md", default_slug="x")
    assert any(fragment in e.message for e in errors), errors
