"""The small, plain values the block builders take instead of services' or database objects."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SopCard:
    """A live SOP as lists show it."""

    slug: str
    title: str
    revision: int
    step_count: int
    tags: tuple[str, ...]
    outcome: str = ""  # Markdown


@dataclass(frozen=True)
class RunCard:
    """An unfinished run as lists show it."""

    run_id: int
    slug: str
    title: str
    step_number: int
    step_count: int
    revision: int
