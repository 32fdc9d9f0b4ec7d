"""What the Home tab and the feedback buttons read about edits: recent edits, a feedback step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.model import Sop
from bot.db.feedback import Feedback
from bot.db.models import Revision, SopRecord
from bot.services.feedback_handling import counterpart


@dataclass(frozen=True)
class FeedbackTarget:
    """The step a feedback item is about, in the SOP's current revision, and its suggestion."""

    record_id: int
    slug: str
    owner: str | None
    step: int | None  # None: the current revision no longer has that step
    author: str | None  # None when anonymous
    suggestion: str | None
    status: str
    based_on: str  # the step's Markdown the suggestion was written against


def feedback_target(session: Session, *, feedback_id: int) -> FeedbackTarget | None:
    """Where an Edit step / Accept suggestion button on a feedback item leads."""
    fb = session.get(Feedback, feedback_id)
    if fb is None or fb.sop.current_revision is None or fb.sop.retired_at is not None:
        return None
    current = fb.sop.current_revision
    step: int | None = fb.step_number
    if fb.revision_id != current.id:
        step = counterpart(Sop.from_dict(fb.revision.content), Sop.from_dict(current.content), step)
    return FeedbackTarget(
        record_id=fb.sop_id,
        slug=fb.sop.slug,
        owner=fb.sop.owner,
        step=step,
        author=None if fb.anonymous else fb.author_id,
        suggestion=fb.suggestion,
        status=fb.status,
        based_on=_body(fb.revision.content, fb.step_number),
    )


def _body(content: dict, number: int) -> str:
    steps = content.get("steps", [])
    return str(steps[number - 1].get("body", "")) if 1 <= number <= len(steps) else ""


@dataclass(frozen=True)
class Edit:
    """A revision made from Slack, for the Home tab."""

    slug: str
    title: str
    number: int
    editor: str
    credit: str | None
    note: str | None
    owner: str | None
    published_at: datetime


def recent_edits(session: Session, *, limit: int = 20) -> list[Edit]:
    """The latest revisions made from Slack, newest first."""
    rows = session.execute(
        select(Revision, SopRecord)
        .join(SopRecord, SopRecord.id == Revision.sop_id)
        .where(Revision.editor.is_not(None), SopRecord.retired_at.is_(None))
        .order_by(Revision.published_at.desc(), Revision.id.desc())
        .limit(limit)
    )
    return [
        Edit(
            slug=record.slug,
            title=record.title,
            number=revision.number,
            editor=str(revision.editor),
            credit=revision.credit,
            note=revision.note,
            owner=record.owner,
            published_at=revision.published_at,
        )
        for revision, record in rows
    ]
