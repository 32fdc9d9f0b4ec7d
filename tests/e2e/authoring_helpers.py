"""What the step editor's end-to-end tests share: opening the editor, the file, revisions."""

from __future__ import annotations

import difflib
from pathlib import Path

from sqlalchemy import select

from bot.db.models import Revision, SopRecord
from bot.slacksim.seed import SUPPORT
from tests.e2e.conftest import Bot

REFUND = "refund-request"


def refund_file(bot: Bot) -> Path:
    return next(bot.sops_dir.rglob("refund-request.md"))


def sop_edit(bot: Bot, user: str, text: str) -> dict | None:
    """`/sop edit TEXT`; returns the modal that opened, or None (then see the ephemerals)."""
    before = (bot.fake.open_view(user) or {}).get("id")
    seen = len(bot.fake.ephemerals(user))
    ack = bot.slack.command(user, "/sop", f"edit {text}", channel=SUPPORT)
    assert ack.status == 200 and ack.acked_in_time
    bot.fake.wait_for(
        lambda: (
            ((v := bot.fake.open_view(user)) and v["id"] != before)
            or len(bot.fake.ephemerals(user)) > seen
        ),
        what="the editor or an answer",
    )
    view = bot.fake.open_view(user)
    return view if view and view["id"] != before else None


def changed_lines(before: str, after: str) -> list[str]:
    """The -/+ lines of a diff, without headers."""
    return [
        line.rstrip("\n")
        for line in difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
        if line[:1] in "-+" and not line.startswith(("---", "+++"))
    ]


def revisions(bot: Bot, slug: str = REFUND) -> list[Revision]:
    with bot.runtime.database.session() as session:
        sop_id = session.scalar(select(SopRecord.id).where(SopRecord.slug == slug))
        return list(
            session.scalars(
                select(Revision).where(Revision.sop_id == sop_id).order_by(Revision.number)
            )
        )


def input_value(view: dict, block_id: str) -> str | None:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return block["element"].get("initial_value")
