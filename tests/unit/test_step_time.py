"""`Time:` on a step: parsing, errors, storage and the step editor."""

from __future__ import annotations

import pytest

from bot.core.durations import parse_step_time, step_time_line, step_time_text
from bot.core.edit import StepDraft, replace_step, step_draft
from bot.core.model import Sop
from bot.core.parse import parse_sop

ROLES = "## Roles\n- **Agent**: does things.\n- **Team lead**: approves things.\n"


def parse(text: str):
    return parse_sop(text, path="sample.md", default_slug="sample")


@pytest.mark.parametrize(
    ("written", "seconds"),
    [("5m", 300), ("90 s", 90), ("1h 30m", 5400), ("1.5 h", 5400), ("2 minutes", 120)],
)
def test_step_times_read_as_seconds(written: str, seconds: int) -> None:
    assert parse_step_time(written) == seconds


@pytest.mark.parametrize("written", ["soon", "5", "0m", "", "8 days", "9000h"])
def test_what_is_not_a_step_time_is_none(written: str) -> None:
    assert parse_step_time(written) is None


@pytest.mark.parametrize("seconds", [1, 45, 60, 300, 3599, 3600, 5400, 86400])
def test_the_file_form_reads_back_as_what_it_says(seconds: int) -> None:
    assert parse_step_time(step_time_line(seconds)) == parse_step_time(
        step_time_text(seconds).replace(" ", "")
    )
    assert abs(parse_step_time(step_time_line(seconds)) - seconds) <= 30


@pytest.mark.parametrize("order", ["Role: Agent\nTime: 5m", "Time: 5m\nRole: Agent"])
def test_time_beside_role_in_either_order(order: str) -> None:
    sop, errors = parse(f"# T\n{ROLES}## Steps\n### One\n{order}\nBody\n### Two\nNo time\n")
    assert errors == [] and sop is not None
    one, two = sop.steps
    assert (one.role, one.expected_seconds, one.body) == ("Agent", 300, "Body")
    assert (two.expected_seconds, two.body) == (None, "No time")


def test_a_time_that_is_not_one_is_an_error_on_its_line() -> None:
    sop, errors = parse("# T\n## Steps\n### One\nTime: soon\nBody\n")
    assert [(e.line, e.message.split(";")[0]) for e in errors] == [
        (4, "`Time:` 'soon' is not a step time")
    ]


def test_a_step_without_time_stores_what_it_stored_before() -> None:
    sop, _ = parse("# T\n## Steps\n### One\nBody\n")
    assert sop is not None and "expected_seconds" not in sop.to_dict()["steps"][0]
    timed, _ = parse("# T\n## Steps\n### One\nTime: 5m\nBody\n")
    assert timed is not None and Sop.from_dict(timed.to_dict()) == timed


def test_the_editor_keeps_a_time_line_written_above_the_role() -> None:
    text = f"# T\n{ROLES}## Steps\n### One\nTime: 5m\nRole: Agent\nBody\n"
    assert step_draft(text, 1) == StepDraft(title="One", role="Agent", body="Body")
    after = replace_step(text, 1, StepDraft(title="One", role="Team lead", body="Body"))
    assert after == text.replace("Role: Agent", "Role: Team lead")
