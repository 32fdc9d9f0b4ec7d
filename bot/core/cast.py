"""An SOP's `cast:`: who may take each role's steps, read from front matter and checked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from bot.core.model import SopError, quoted

Cast = tuple[tuple[str, tuple[str, ...]], ...]  # (role, entries), in the order written
EXAMPLE = 'cast: {Agent: "#support", "Team lead": ["@support-leads", "lead@example.com"]}'


@dataclass(frozen=True)
class CastRole:
    """One role of a `cast:` as written, with the line its name is on."""

    role: str
    entries: tuple[str, ...]
    line: int


def read_cast(
    value: Any, node: yaml.Node, *, first_line: int, is_entry: Callable[[str], bool]
) -> tuple[tuple[CastRole, ...], list[tuple[yaml.Node, str]]]:
    """The roles of a `cast:` mapping and the problems found; entries are audience-style."""
    if not isinstance(value, dict) or not isinstance(node, yaml.MappingNode):
        return (), [(node, f"cast must map each role to who plays it, e.g. {EXAMPLE}")]
    by_name = {str(k): v for k, v in value.items()}
    roles: list[CastRole] = []
    problems: list[tuple[yaml.Node, str]] = []
    for key_node, value_node in node.value:
        role = str(key_node.value).strip()
        line = first_line + key_node.start_mark.line
        if not role:
            problems.append((key_node, 'a cast role needs a name, e.g. `Team lead: "#leads"`'))
            continue
        raw = by_name.get(str(key_node.value))
        items = (
            list(zip(raw, value_node.value, strict=True))
            if isinstance(raw, list) and isinstance(value_node, yaml.SequenceNode)
            else [(raw, value_node)]
        )
        entries: list[str] = []
        for entry, entry_node in items:
            text = entry.strip() if isinstance(entry, str) else ""
            if entry is None:
                problems.append(
                    (entry_node, f'empty cast entry for {quoted(role)}; quote channels: "#support"')
                )
            elif is_entry(text):
                if text not in entries:
                    entries.append(text)
            else:
                problems.append(
                    (
                        entry_node,
                        f"cast entry {quoted(entry)} for {quoted(role)} must be a #channel "
                        "(lowercase), an @handle, a user ID like U024BE7LH or an e-mail address",
                    )
                )
        if any(r.role.lower() == role.lower() for r in roles):
            problems.append((key_node, f"cast role {quoted(role)} appears twice; keep only one"))
        elif entries:
            roles.append(CastRole(role, tuple(entries), line))
    return tuple(roles), problems


def check_cast(
    roles: Sequence[CastRole],
    *,
    step_roles: Sequence[str | None],
    listed_roles: Sequence[str] | None,
    path: str,
) -> tuple[Cast, list[SopError]]:
    """Keep the cast roles the steps use, spelt as the steps spell them; others are errors."""
    used = {r.lower(): r for r in step_roles if r}
    listed = {r.lower() for r in listed_roles} if listed_roles is not None else None
    cast: list[tuple[str, tuple[str, ...]]] = []
    errors: list[SopError] = []
    for cast_role in roles:
        key = cast_role.role.lower()
        if listed is not None and key not in listed:
            message = (
                f"cast role {quoted(cast_role.role)} is not listed under ## Roles; "
                "fix the name or add the role there"
            )
            errors.append(SopError(path=path, line=cast_role.line, message=message))
        elif key not in used:
            shown = ", ".join(sorted(set(used.values()))) or "none"
            message = (
                f"cast role {quoted(cast_role.role)} is not the role of any step "
                f"(steps use: {shown}); fix the name or remove it"
            )
            errors.append(SopError(path=path, line=cast_role.line, message=message))
        else:
            cast.append((used[key], cast_role.entries))
    return tuple(cast), errors


def entries_of(cast: Cast, role: str | None) -> tuple[str, ...]:
    """Who the cast names for `role`; empty when the role has no cast."""
    if role is None:
        return ()
    return next((entries for name, entries in cast if name.lower() == role.lower()), ())
