"""Hostile SOP files: alias bombs and huge values give short, exact errors, fast."""

from __future__ import annotations

from pathlib import Path

from bot.core.parse import load_sops, parse_sop


def alias_bomb(levels: int) -> str:
    """Front matter whose every level repeats the previous one nine times (268 bytes at 9)."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"audience: *a{levels - 1}")
    return "---\n" + "\n".join(lines) + "\n---\n# Bomb\n## Steps\n### Step\nDo it.\n"


def test_an_alias_bomb_is_refused_at_its_first_anchor_with_a_short_error():
    # Four levels already made a 50,000-character error before aliases were refused.
    _, errors = parse_sop(alias_bomb(4), path="bomb.md", default_slug="bomb")
    (error,) = errors
    assert (error.path, error.line) == ("bomb.md", 2)
    assert "anchors or aliases" in error.message and len(str(error)) < 200


def test_sops_check_refuses_a_nine_level_bomb_in_a_folder(tmp_path: Path):
    (tmp_path / "bomb.md").write_text(alias_bomb(9))
    assert len(alias_bomb(9).split("---")[1]) < 700  # tiny file, 9**9 values once expanded
    _, errors = load_sops(tmp_path)  # publish publishes nothing while there are errors
    assert [e.line for e in errors] == [2] and len(str(errors[0])) < 200


def test_a_huge_or_deep_front_matter_value_is_quoted_short():
    huge = "x" * 200_000
    deep = "[" * 50 + "1" + "]" * 50
    for front in (f"owner: {huge}", f"owner: {deep}", f"pass_mark: {deep}", f"tags: [{deep}]"):
        text = f"---\n{front}\n---\n# T\n## Steps\n### S\nDo it.\n"
        _, errors = parse_sop(text, path="big.md", default_slug="big")
        assert errors and all(len(str(e)) < 300 for e in errors), front


def test_a_huge_role_name_is_quoted_short():
    role = "R" * 100_000
    text = f"# T\n## Roles\n- **Agent**: x\n## Steps\n### S\nRole: {role}\nDo it.\n"
    _, errors = parse_sop(text, path="r.md", default_slug="r")
    assert errors and all(len(str(e)) < 400 for e in errors)


def test_quoted_keeps_short_values_as_repr_and_cuts_long_ones():
    from bot.core.model import MAX_QUOTED, quoted

    assert quoted("U024BE7LH") == "'U024BE7LH'"
    assert quoted(42) == "42"
    assert len(quoted("y" * 10_000)) <= MAX_QUOTED
    assert len(quoted([[[[[1]]]]] * 1000)) <= MAX_QUOTED
