"""Front matter `cast:`: role -> audience-style entries, checked against the steps' roles."""

from __future__ import annotations

import textwrap

import pytest

from bot.core.cast import entries_of
from bot.core.diff import content_fingerprint
from bot.core.model import Sop
from bot.core.parse import parse_sop

BODY = """\
# Escalate
## Roles
- **Agent**: answers.
- **Team lead**: approves.
- **Auditor**: reads the log.

## Steps
### Triage
Role: Agent
Look.

### Approve
Role: Team lead
Approve it.
"""


def parse(front: str, body: str = BODY):
    text = "---\n" + textwrap.dedent(front) + "---\n" + body
    return parse_sop(text, path="x.md", default_slug="x")


def test_cast_maps_roles_to_entries_spelt_as_the_steps_spell_them():
    sop, errors = parse('cast: {agent: "#support", "Team lead": ["@leads", "lead@example.com"]}\n')
    assert errors == []
    assert sop is not None
    assert sop.cast == (("Agent", ("#support",)), ("Team lead", ("@leads", "lead@example.com")))
    assert entries_of(sop.cast, "team lead") == ("@leads", "lead@example.com")
    assert entries_of(sop.cast, "Auditor") == ()
    assert Sop.from_dict(sop.to_dict()) == sop


@pytest.mark.parametrize(
    ("front", "line", "fragment"),
    [
        ('cast: {Cook: "#kitchen"}\n', 2, "not listed under ## Roles"),
        ('cast: {Auditor: "#audit"}\n', 2, "not the role of any step"),
        ("cast: {Agent: support}\n", 2, "must be a #channel"),
        ('cast: "#support"\n', 2, "cast must map each role"),
        ('title: X\ncast:\n  Agent:\n    - "#support"\n    - nobody\n', 6, "nobody"),
    ],
)
def test_bad_cast_is_a_file_line_error(front, line, fragment):
    _, errors = parse(front)
    assert errors, "expected an error"
    assert errors[0].line == line and fragment in errors[0].message, [str(e) for e in errors]
    assert str(errors[0]).startswith(f"x.md:{line}: ")


def test_without_roles_section_a_cast_role_must_still_be_a_steps_role():
    body = "# T\n## Steps\n### One\nRole: Agent\nDo.\n"
    sop, errors = parse('cast: {Agent: "#support"}\n', body)
    assert errors == [] and sop is not None and sop.cast == (("Agent", ("#support",)),)
    _, errors = parse('cast: {Lead: "#support"}\n', body)
    assert "not the role of any step (steps use: Agent)" in errors[0].message


def test_an_sop_without_cast_keeps_its_fingerprint_shape():
    sop, _ = parse("title: X\n")
    assert sop is not None and "cast" not in sop.to_dict()
    assert content_fingerprint(sop) == content_fingerprint(Sop.from_dict(sop.to_dict()))
