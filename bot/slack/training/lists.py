"""Training lists and owner notes: /sop training, the Home section, unresolved and overdue DMs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.mrkdwn import escape
from bot.services.training import OverdueNotice, UnresolvedNotice
from bot.services.training_records import SopTraining, TrainingRow
from bot.slack.ids import Action
from bot.slack.kit.blocks import bold, button, code, context, listing, mention, section
from bot.slack.kit.limits import MAX_BLOCKS, SECTION_TEXT, truncate

MAX_ROWS = 15
MAX_PEOPLE = 60  # mentions per list; a longer one says how many more
STATUS = {"pending": "pending", "overdue": "⚠️ overdue", "current": "✅ passed"}


def _plain(title: str) -> str:
    """A title for a fallback `text` (Slack reads it as mrkdwn too, so it is escaped)."""
    return truncate(escape(" ".join(title.split())), 200)


def day(moment: datetime | None) -> str:
    """`2026-12-03` (UTC): an audit date, the same for everyone who reads it."""
    return moment.date().isoformat() if moment else "-"


def _people(user_ids: Sequence[str]) -> str:
    shown = " ".join(mention(u) for u in user_ids[:MAX_PEOPLE])
    more = len(user_ids) - MAX_PEOPLE
    return shown + (f" …and {more} more" if more > 0 else "")


def unresolved_notice(notice: UnresolvedNotice) -> dict[str, Any]:
    """To the owner: audience entries that named nobody (once per revision)."""
    lines = "\n".join(
        f"• {code(u.entry)}: {escape(u.reason)}" for u in notice.unresolved[:MAX_ROWS]
    )
    text = (
        f"Training for {bold(notice.title)} (v{notice.revision}) goes to "
        f"{notice.trained} people, but these `audience` entries named nobody:\n{lines}\n"
        f"Fix them in the SOP file ({code(notice.slug)}) and publish again."
    )
    return {
        "text": f"{_plain(notice.title)}: some audience entries named nobody",
        "blocks": [section(truncate(text, SECTION_TEXT), block_id="unresolved")],
    }


def overdue_notice(notice: OverdueNotice) -> dict[str, Any]:
    """To the owner: people whose training on their SOP is overdue."""
    text = (
        f"Training on {bold(notice.title)} (v{notice.revision}) is overdue for "
        f"{len(notice.people)}: {_people([u for u, _ in notice.people])}\n"
        f"`/sop training {escape(notice.slug)}` shows everyone's state."
    )
    return {
        "text": f"Training on {_plain(notice.title)} is overdue for {len(notice.people)}",
        "blocks": [section(truncate(text, SECTION_TEXT), block_id="overdue")],
    }


def _open_row(row: TrainingRow, *, block_id: str) -> dict[str, Any]:
    text = (
        f"{bold(row.title)} (v{row.revision}) — {STATUS.get(row.status, row.status)}, "
        f"since {day(row.assigned_at)}"
    )
    start = button("Start quiz", action_id=Action.START_QUIZ, value=str(row.assignment_id))
    return section(text, block_id=block_id, accessory=start)


def _done_row(row: TrainingRow) -> str:
    state = "passed" if row.status == "current" else "passed; a newer revision replaced it"
    return f"• {bold(row.title)} (v{row.revision}) — {state} {day(row.passed_at)}, {row.score}%"


def my_training(*, open_rows: list[TrainingRow], done: list[TrainingRow]) -> dict[str, Any]:
    """`/sop training`: what the caller still has to do and what they completed."""
    blocks: list[dict[str, Any]] = [section("*Your training*", block_id="mine")]
    if open_rows:
        blocks += listing(
            open_rows, _open_row, prefix="mine-open", room=MAX_ROWS, more="Start with these."
        )
    else:
        blocks.append(context("Nothing to do: you are up to date. 🎉", block_id="mine-none"))
    if done:
        lines = "\n".join(_done_row(r) for r in done[:MAX_ROWS])
        blocks.append(section(f"*Completed*\n{lines}", block_id="mine-done"))
    text = f"Your training: {len(open_rows)} open, {len(done)} completed"
    return {"text": text, "blocks": blocks[:MAX_BLOCKS]}


def sop_training(report: SopTraining) -> dict[str, Any]:
    """`/sop training SOP` for managers: trained, pending and overdue on the current revision."""
    if report.revision is None:
        text = f"{bold(report.title)} has no revision that needs training."
        return {"text": text, "blocks": [section(text, block_id="report")]}
    head = f"*Training on {escape(report.title)}* (v{report.revision}, {code(report.slug)})"
    blocks = [section(head, block_id="report")]
    for key, label, rows in (
        ("overdue", "⚠️ Overdue", report.overdue),
        ("pending", "Pending", report.pending),
        ("trained", "✅ Trained", report.trained),
    ):
        people = _people([r.user_id for r in rows]) if rows else "nobody"
        blocks.append(
            section(truncate(f"*{label}* ({len(rows)}): {people}", SECTION_TEXT), block_id=key)
        )
    total = len(report.trained) + len(report.pending) + len(report.overdue)
    text = f"Training on {_plain(report.title)}: {len(report.trained)} of {total} trained"
    return {"text": text, "blocks": blocks}


def home_section(*, open_rows: list[TrainingRow], done_count: int) -> list[dict[str, Any]]:
    """ "Your training" on the Home tab (block IDs start with home-training)."""
    blocks = [section("*Your training*", block_id="home-training")]
    if open_rows:
        blocks += listing(
            open_rows,
            _open_row,
            prefix="home-training-open",
            room=10,
            more="`/sop training` lists them all.",
        )
    else:
        blocks.append(
            context(f"You are up to date ({done_count} completed).", block_id="home-training-none")
        )
    return blocks


def not_a_manager(slug: str) -> dict[str, Any]:
    """The friendly refusal for staff asking for an SOP's training list."""
    text = (
        f"Only managers and the SOP's owner can see who is trained on {code(slug)}. "
        "`/sop training` shows your own training."
    )
    return {"text": text, "blocks": [section(text, block_id="training-refusal")]}
