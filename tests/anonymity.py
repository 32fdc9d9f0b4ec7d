"""An attacker who holds a copy of the database and nothing else: what ties an item to a person?

They read every table over their own connection (reflected, not through sopbot's models), take
every value stored anywhere as a possible key, and for every member compute each hash that
sopbot's limiter could have stored, old or new derivation alike.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import MetaData, create_engine, select

HEX64 = re.compile(r"[0-9a-f]{64}")
QUOTA_CONTEXT = "sopbot-feedback-quota:"  # public: it is in the source


@dataclass(frozen=True)
class Cell:
    """One stored value: where it is and what it is."""

    table: str
    row: int
    column: str
    value: Any


def copy_of(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read over a fresh connection as someone with a backup would."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as conn:
            return {
                table.name: [dict(row._mapping) for row in conn.execute(select(table))]
                for table in metadata.tables.values()
            }
    finally:
        engine.dispose()


def cells(copy: dict[str, list[dict[str, Any]]]) -> Iterator[Cell]:
    """Every leaf value, JSON documents walked down to their strings and numbers."""
    for table, rows in copy.items():
        for n, row in enumerate(rows):
            for column, value in row.items():
                for leaf in _leaves(value):
                    yield Cell(table, n, column, _aware(leaf))


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _leaves(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _leaves(inner)
    else:
        yield value


def _aware(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def derivable_hashes(
    copy: dict[str, list[dict[str, Any]]], members: Iterable[str], *, known: Iterable[bytes] = ()
) -> dict[str, str]:
    """Every hash of a member (hash -> member) the copy's contents and `known` secrets give."""
    stored = list(cells(copy))
    keys: set[bytes] = set(known)
    for cell in stored:
        if isinstance(cell.value, str) and cell.value:
            keys.add(cell.value.encode())
            if len(cell.value) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", cell.value):
                keys.add(bytes.fromhex(cell.value))
    hours = {
        c.value
        for c in stored
        if isinstance(c.value, datetime)
        and c.value == c.value.replace(minute=0, second=0, microsecond=0)
    }
    # The new derivation too: a per-hour key from any stored value as the master.
    keys |= {
        hmac.new(key, (QUOTA_CONTEXT + hour.isoformat()).encode(), hashlib.sha256).digest()
        for key in list(keys)
        for hour in hours
    }
    workspaces = [row["id"] for row in copy.get("workspaces", [])]
    found: dict[str, str] = {}
    for member in members:
        for message in [member, *(f"{workspace}:{member}" for workspace in workspaces)]:
            found[hashlib.sha256(message.encode()).hexdigest()] = member
            for key in keys:
                found[hmac.new(key, message.encode(), hashlib.sha256).hexdigest()] = member
    return found


def traces(
    copy: dict[str, list[dict[str, Any]]], members: Iterable[str], *, known: Iterable[bytes] = ()
) -> list[tuple[Cell, str]]:
    """The stored values that are (or contain) a member's hash, with whose it is.

    `known` are secrets the attacker has besides the copy (e.g. the environment's).
    """
    hashes = derivable_hashes(copy, members, known=known)
    return [
        (cell, hashes[digest])
        for cell in cells(copy)
        if isinstance(cell.value, str)
        for digest in HEX64.findall(cell.value)
        if digest in hashes
    ]


def rows_at(copy: dict[str, list[dict[str, Any]]], moment: datetime) -> list[tuple[str, dict]]:
    """The rows (table, row) holding exactly `moment` in any column."""
    return [
        (table, row)
        for table, rows in copy.items()
        for row in rows
        if any(_aware(value) == moment for value in row.values())
    ]
