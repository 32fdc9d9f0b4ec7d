"""Ephemeral answers to `/sop`: help, search results, the full list, and short notices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.mrkdwn import escape
from bot.slack.ids import Action
from bot.slack.kit.blocks import (
    actions,
    bold,
    button,
    code,
    context,
    listing,
    run_section,
    section,
    sop_facts,
    sop_section,
)
from bot.slack.kit.cards import RunCard, SopCard
from bot.slack.kit.limits import MAX_BLOCKS, MESSAGE_CHARS, SECTION_TEXT, truncate
from bot.slack.kit.notices import NO_SOPS, notice

MAX_SHOWN = 10  # a longer pick list is a search that needs more words
QUERY_CHARS = 100
LIST_CHARS = MESSAGE_CHARS - 1000  # room for the intro and the "and N more" line
OTHER_TAG = "Other"

USAGE = (
    "*Find and follow an SOP*\n"
    "`/sop QUERY` — find an SOP (e.g. `/sop refund`) and follow it step by step\n"
    "`/sop list` — every SOP, by tag\n"
    "`/sop training` — the quizzes waiting for you, and what you passed\n"
    "`/sop record TITLE` — write a new SOP by doing it: one message per step in a thread\n"
    "`/sop help` — this message\n"
    "`/feedback` — tell an SOP's owner what to fix"
)
MANAGER_USAGE = (
    "*For managers and SOP owners*\n"
    "`/sop kpis [SOP] [7d|30d]` — how the SOPs are doing (default: all, last 7 days)\n"
    "`/sop training SOP` — who passed the SOP's quiz, who is pending or overdue\n"
    "`/sop edit SOP [STEP]` — reword, add or remove a step; it is published at once"
)
MANAGED_USAGE = (
    "`/sop kpis SOP [7d|30d]` — how one of them is doing (default: last 7 days)\n"
    "`/sop training SOP` — who passed its quiz, who is pending or overdue\n"
    "`/sop edit SOP [STEP]` — reword, add or remove a step; it is published at once\n"
    "`/feedback list` — their open feedback"
)
MANAGED_NAMED = 10  # SOPs named in the heading; more are counted
ADMIN_USAGE = "`/sop config [#managers-channel]` — when and where the daily KPI digests are posted"


def help_message(
    *,
    sops: list[SopCard],
    unfinished: list[RunCard],
    manager: bool = False,
    admin: bool = False,
    managed: Sequence[SopCard] = (),
    empty: str = NO_SOPS,
) -> dict:
    """Usage (with the manager and admin commands for them), the caller's unfinished runs,
    then up to 10 SOPs to start.

    `managed`: the SOPs someone who is not a manager of every SOP owns or manages through their
    `managers:` channel; they get the manager commands for those SOPs.
    """
    blocks = [section(USAGE, block_id="help-usage")]
    if manager or admin or managed:
        if manager:
            lines = [MANAGER_USAGE]
        elif managed:
            lines = [f"*For the SOPs you manage:* {_titles(managed)}", MANAGED_USAGE]
        else:
            lines = ["*For admins*"]
        lines += [ADMIN_USAGE] if admin else []
        blocks.append(section("\n".join(lines), block_id="help-managers"))
    if unfinished:
        blocks.append(section("*Your unfinished runs*", block_id="help-runs"))
        blocks += listing(
            unfinished,
            run_section,
            prefix="run",
            room=MAX_SHOWN,
            more="The bot's Home tab shows them all.",
        )
    if sops:
        blocks.append(section("*SOPs*", block_id="help-sops"))
        blocks += listing(
            sops, sop_section, prefix="sop", room=MAX_SHOWN, more="`/sop list` shows every SOP."
        )
    else:
        blocks.append(context(empty, block_id="help-none"))
    return {"text": "How to find and follow an SOP with /sop", "blocks": blocks}


def _titles(cards: Sequence[SopCard]) -> str:
    """`Close the till (close-till), …`, at most MANAGED_NAMED of them, then how many more."""
    named = [f"{escape(truncate(c.title, 60))} ({code(c.slug)})" for c in cards[:MANAGED_NAMED]]
    more = len(cards) - MANAGED_NAMED
    return ", ".join(named) + (f" and {more} more" if more > 0 else "")


def pick_list(*, query: str, hits: list[SopCard], unfinished: list[RunCard]) -> dict:
    """Several SOPs matched: each with Start, or Continue where the caller has a run open."""
    open_runs = {run.slug: run for run in unfinished}
    intro = f"Several SOPs match “{_query(query)}”:"
    blocks = [section(intro, block_id="pick-intro")]

    def render(card: SopCard, *, block_id: str) -> dict[str, Any]:
        run = open_runs.get(card.slug)
        if run is None:
            return sop_section(card, block_id=block_id)
        text = f"{bold(card.title)}\n{sop_facts(card)}\nYour run is on step {run.step_number}."
        resume = button(
            "Continue", action_id=Action.CONTINUE_RUN, value=str(run.run_id), style="primary"
        )
        return section(text, block_id=block_id, accessory=resume)

    blocks += listing(
        hits, render, prefix="hit", room=MAX_SHOWN, more="Add a word or two to narrow the search."
    )
    return {"text": truncate(f"Several SOPs match “{_query(query)}”", 300), "blocks": blocks}


def no_match(*, query: str, closest: list[SopCard]) -> dict:
    """Nothing matched: the closest titles to start, and a pointer to the full list."""
    intro = f"No SOP matches “{_query(query)}”."
    if closest:
        intro += " The closest ones:"
    blocks = [section(intro, block_id="nomatch-intro")]
    blocks += listing(closest, sop_section, prefix="close", room=5, more="")
    blocks.append(
        context("Try other words, or `/sop list` to see every SOP.", block_id="nomatch-hint")
    )
    return {"text": truncate(f"No SOP matches “{_query(query)}”", 300), "blocks": blocks}


def sop_list(*, sops: list[SopCard], empty: str = NO_SOPS) -> dict:
    """Every SOP grouped by tag, within one message whatever the count."""
    if not sops:
        return notice(empty)
    groups: dict[str, list[SopCard]] = {}
    for card in sops:
        for tag in dict.fromkeys(t.strip() for t in card.tags if t.strip()) or [OTHER_TAG]:
            groups.setdefault(tag, []).append(card)
    order = sorted(groups, key=lambda t: (t == OTHER_TAG, t.casefold()))
    lines = [
        (
            bold(tag, 75),
            [
                (card.slug, f"• {bold(card.title, 120)} — {sop_facts(card)}")
                for card in sorted(groups[tag], key=lambda c: c.title.casefold())
            ],
        )
        for tag in order
    ]
    texts, shown = _pack(
        lines,
        per_group=len(order) <= MAX_BLOCKS - 3,
        max_sections=MAX_BLOCKS - 2,
        max_chars=LIST_CHARS,
    )
    count = len({card.slug for card in sops})
    blocks = [section(f"*Every SOP* ({count})", block_id="list-intro")]
    blocks += [section(text, block_id=f"list-{i}") for i, text in enumerate(texts)]
    if left := count - len(shown):
        more = f"…and {left} more. Search with `/sop QUERY` to find the rest."
        blocks.append(context(more, block_id="list-more"))
    return {"text": f"Every SOP ({count})", "blocks": blocks}


def _pack(
    groups: list[tuple[str, list[tuple[str, str]]]],
    *,
    per_group: bool,
    max_sections: int,
    max_chars: int,
) -> tuple[list[str], set[str]]:
    """Lay out headed groups of (key, line) as section texts; return them and the keys shown.

    With few groups each gets its own section; with many they share sections, so that the
    block limit is never what cuts the list short. A heading always travels with its first line.
    """
    texts: list[str] = []
    shown: set[str] = set()
    used = 0
    for heading, entries in groups:
        for index, (key, line) in enumerate(entries):
            piece, sep = (f"{heading}\n{line}", "\n\n") if index == 0 else (line, "\n")
            fresh = not texts or (index == 0 and per_group)
            fresh = fresh or len(texts[-1]) + len(sep) + len(piece) > SECTION_TEXT
            cost = len(piece) if fresh else len(sep) + len(piece)
            if used + cost > max_chars or (fresh and len(texts) >= max_sections):
                return texts, shown
            if fresh:
                texts.append(piece)
            else:
                texts[-1] += sep + piece
            used += cost
            shown.add(key)
    return texts, shown


def unfinished_offer(*, run: RunCard) -> dict:
    """The caller already has this SOP open: continue it, or start over."""
    text = (
        f"You have an unfinished run of {bold(run.title)} "
        f"(step {run.step_number} of {run.step_count})."
    )
    buttons = [
        button("Continue", action_id=Action.CONTINUE_RUN, value=str(run.run_id), style="primary"),
        button("Start over", action_id=Action.START_OVER, value=run.slug),
    ]
    blocks = [section(text, block_id="offer"), actions(buttons, block_id="offer-actions")]
    return {
        "text": truncate(f"You have an unfinished run of {escape(run.title)}", 300),
        "blocks": blocks,
    }


def _query(query: str) -> str:
    """The searched words, shown safely: escaped, on one line, cut to 100 characters."""
    return truncate(escape(" ".join(query.split())), QUERY_CHARS)
