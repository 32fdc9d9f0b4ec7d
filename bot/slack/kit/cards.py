"""The small, plain values the block builders take, and how services' results become them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.catalog import Entry
from bot.services.runs import RunState


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


def sop_card(entry: Entry) -> SopCard:
    """A live SOP as a card."""
    sop = entry.sop
    return SopCard(
        slug=entry.slug,
        title=sop.title,
        revision=entry.revision,
        step_count=len(sop.steps),
        tags=sop.tags,
        outcome=sop.outcome,
    )


def run_card(state: RunState) -> RunCard:
    """An unfinished run as a card."""
    return RunCard(
        run_id=state.run_id,
        slug=state.slug,
        title=state.sop.title,
        step_number=state.current_step,
        step_count=state.step_count,
        revision=state.revision,
    )
