"""The App Home tab: unfinished runs to continue, SOPs to start, and later features' sections."""

from __future__ import annotations

from collections.abc import Sequence

from bot.slack.kit.blocks import context, header, listing, run_section, section, sop_section
from bot.slack.kit.cards import RunCard, SopCard
from bot.slack.kit.limits import MAX_VIEW_BLOCKS
from bot.slack.kit.notices import NO_SOPS

MAX_RUNS = 10
MAX_SOPS = 30
HINT = "Type `/sop refund` anywhere to find and follow an SOP, or `/sop list` to see them all."


def home_view(
    *,
    unfinished: list[RunCard],
    sops: list[SopCard],
    sections: Sequence[Sequence[dict]] = (),
    empty: str = NO_SOPS,
) -> dict:
    """The Home tab, at most 100 blocks; extra sections must use their own block_id prefix.

    An extra section that no longer fits is left out whole rather than cut in half.
    """
    blocks = [header("SOPs", block_id="home-title"), section(HINT, block_id="home-hint")]
    if unfinished:
        blocks += [
            {"type": "divider", "block_id": "home-runs-divider"},
            section("*Your unfinished runs*", block_id="home-runs"),
        ]
        blocks += listing(
            unfinished,
            run_section,
            prefix="home-run",
            room=MAX_RUNS,
            more="Finish or stop some to see the rest.",
        )
    blocks += [
        {"type": "divider", "block_id": "home-sops-divider"},
        section("*SOPs for you*", block_id="home-sops"),
    ]
    if sops:
        blocks += listing(
            sops,
            sop_section,
            prefix="home-sop",
            room=MAX_SOPS,
            more="Use `/sop list` or search with `/sop QUERY`.",
        )
    else:
        blocks.append(context(empty, block_id="home-sops-none"))
    for index, extra in enumerate(sections):
        if not extra:
            continue
        if len(blocks) + 1 + len(extra) > MAX_VIEW_BLOCKS:
            break
        blocks.append({"type": "divider", "block_id": f"home-extra-{index}"})
        blocks += extra
    return {"type": "home", "blocks": blocks}
