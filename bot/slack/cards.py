"""Turns service results into the small cards the block builders take."""

from bot.services.catalog import Entry
from bot.services.runs import RunState
from bot.slack.blocks.cards import RunCard, SopCard


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
