"""The pure parts of feedback: the one-liner, what is wrong with a draft, steps across revisions."""

from __future__ import annotations

import random
import re

import pytest

from bot.core.model import Sop, Step
from bot.services.feedback import MAX_LINE, Draft, Target, check, parse_line
from bot.services.feedback_handling import counterpart

TARGET = Target(
    record_id=1,
    workspace_id=1,
    slug="refund-request",
    title="Handle a refund request",
    revision_id=10,
    revision=2,
    steps=tuple((n, f"Step {n}") for n in range(1, 8)),
    owner="U01SAMLEAD",
)


@pytest.mark.parametrize(
    ("line", "query", "step", "text", "kind"),
    [
        ("refund 3 the approval link is dead", "refund", 3, "the approval link is dead", "problem"),
        ("refund request 3 dead link", "refund request", 3, "dead link", "problem"),
        ("2fa reset 2 Question: why twice?", "2fa reset", 2, "why twice?", "question"),
        ("refund 3 praise:great", "refund", 3, "great", "praise"),
        ("refund 3 problems: many", "refund", 3, "problems: many", "problem"),
        ("refund 3", "refund", 3, "", "problem"),
        ("refund 3 line one\nline two", "refund", 3, "line one\nline two", "problem"),
        ("refund the link is dead", "refund the link is dead", None, "", "problem"),
        ("refund", "refund", None, "", "problem"),
        ("3 things", "3 things", None, "", "problem"),
    ],
)
def test_parse_line(line, query, step, text, kind):
    parsed = parse_line(line)
    assert (parsed.query, parsed.step, parsed.text, parsed.kind) == (query, step, text, kind)


def test_a_line_over_the_limit_is_refused_before_any_parsing():
    with pytest.raises(ValueError, match="at most"):
        parse_line("refund 3 " + "x" * 1_000_000)
    with pytest.raises(ValueError, match="at most"):
        parse_line("a" + " " * (MAX_LINE + 1))


def parts(line: str) -> tuple[str, int | None, str]:
    parsed = parse_line(line)
    return parsed.query, parsed.step, parsed.text


def test_long_runs_of_spaces_parse_as_short_ones_do():
    room = MAX_LINE - 20
    assert parts("refund 3 " + " " * room + "x") == ("refund", 3, "x")
    assert parts("refund" + " " * room + "3 x") == ("refund", 3, "x")
    assert parts("a" + " " * room + "b") == ("a" + " " * room + "b", None, "")
    assert parse_line("refund" + " " * room + "12345 x").step is None


# The one-liner's first pattern: right, but quadratic in a run of spaces (see parse_line).
BACKTRACKING = re.compile(r"^(?P<query>.+?)\s+(?P<step>\d{1,4})(?:\s+(?P<text>.*))?$", re.DOTALL)


def test_parse_line_reads_short_lines_exactly_as_the_backtracking_pattern_did():
    rng = random.Random(20261130)
    for _ in range(5_000):
        line = "".join(rng.choice("ab 1239\n\t:٣") for _ in range(rng.randint(0, 14)))
        match = BACKTRACKING.match(line.strip())
        parsed = parse_line(line)
        if match is None:
            assert (parsed.query, parsed.step) == (line.strip(), None), repr(line)
        else:
            expected = (match["query"].strip(), int(match["step"]), (match["text"] or "").strip())
            assert (parsed.query, parsed.step, parsed.text) == expected, repr(line)


@pytest.mark.parametrize(
    ("draft", "target", "fields"),
    [
        (Draft("refund-request", 3, "problem", "dead link"), TARGET, set()),
        (Draft("refund-request", None, "problem", "dead link"), TARGET, {"step"}),
        (Draft("refund-request", 8, "problem", "dead link"), TARGET, {"step"}),
        (Draft("refund-request", 0, "problem", "dead link"), TARGET, {"step"}),
        (Draft("refund-request", 3, "rant", "dead link"), TARGET, {"kind"}),
        (Draft("refund-request", 3, "problem", " \n\t\u00a0"), TARGET, {"text"}),
        (Draft("refund-request", 3, "problem", "x" * 3000), TARGET, set()),
        (Draft("refund-request", 3, "problem", "x" * 3001), TARGET, {"text"}),
        (Draft(None, None, "problem", ""), None, {"sop", "text"}),
        (Draft("gone", 2, "problem", "hi"), None, {"sop"}),
    ],
)
def test_check(draft, target, fields):
    assert set(check(draft, target)) == fields


def test_check_says_how_to_fix_it():
    problems = check(Draft("refund-request", 9, "problem", "x" * 3001), TARGET)
    assert problems["step"] == "v2 has 7 steps; pick one of them."
    assert "3,001 characters; the most is 3,000" in problems["text"]
    assert check(Draft("gone", 1, "problem", "x"), None)["sop"].startswith("That SOP is no longer")


def sop(*titles: str, bodies: dict[str, str] | None = None) -> Sop:
    bodies = bodies or {}
    steps = tuple(
        Step(n, title, bodies.get(title, f"Do {title}.")) for n, title in enumerate(titles, 1)
    )
    return Sop(slug="s", title="S", steps=steps)


OLD = sop("Greet", "Verify", "Decide", "Issue")


@pytest.mark.parametrize(
    ("new", "mapping"),
    [
        (OLD, {1: 1, 2: 2, 3: 3, 4: 4}),
        (sop("Greet", "Check fraud", "Verify", "Decide", "Issue"), {1: 1, 2: 3, 3: 4, 4: 5}),
        (sop("Greet", "Decide", "Issue"), {1: 1, 2: None, 3: 2, 4: 3}),
        (sop("Issue", "Greet", "Verify", "Decide"), {1: 2, 2: 3, 3: 4, 4: 1}),
        (sop("Greet", "Verify properly", "Decide", "Issue"), {1: 1, 2: 2, 3: 3, 4: 4}),
        (sop("Greet", "Verify", "Decide", "Issue", bodies={"Decide": "Ask."}), {3: 3}),
    ],
)
def test_counterpart_follows_a_step_through_inserts_removals_moves_and_renames(new, mapping):
    assert {n: counterpart(OLD, new, n) for n in mapping} == mapping
