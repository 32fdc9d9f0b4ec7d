"""Reading feedback back: open items for managers and owners, a person's own, the export."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from bot.db.feedback import UNHANDLED, WITHDRAWN, Feedback
from bot.db.models import Run, SopRecord
from bot.services.feedback import FeedbackItem, item_of

EXPORT_COLUMNS = (
    "id",
    "created_at",
    "sop",
    "sop_title",
    "revision",
    "step",
    "step_title",
    "kind",
    "status",
    "author",
    "anonymous",
    "text",
    "reason",
    "handled_by",
    "status_changed_at",
    "addressed_in",
)


def _loaded(query: Select) -> Select:
    return query.options(
        selectinload(Feedback.sop),
        selectinload(Feedback.revision),
        selectinload(Feedback.addressed_revision),
    )


def open_items(session: Session, *, slugs: Collection[str] | None = None) -> list[FeedbackItem]:
    """Open and acknowledged items, oldest first; only these SOPs' when `slugs` is given."""
    query = (
        select(Feedback)
        .join(SopRecord, SopRecord.id == Feedback.sop_id)
        .where(Feedback.status.in_(UNHANDLED))
        .order_by(Feedback.created_at, Feedback.id)
    )
    if slugs is not None:
        query = query.where(SopRecord.slug.in_(list(slugs)))
    return [item_of(fb) for fb in session.scalars(_loaded(query))]


def given_by(session: Session, *, user_id: str, limit: int = 20) -> list[FeedbackItem]:
    """What a person gave under their name, newest first (anonymous items are nobody's)."""
    query = (
        select(Feedback)
        .where(Feedback.author_id == user_id, Feedback.status != WITHDRAWN)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .limit(limit)
    )
    return [item_of(fb) for fb in session.scalars(_loaded(query))]


def last_run_slug(session: Session, *, user_id: str) -> str | None:
    """The live SOP of the person's most recent run, to preselect in the form."""
    query = (
        select(SopRecord.slug)
        .join(Run, Run.sop_id == SopRecord.id)
        .where(Run.user_id == user_id, SopRecord.retired_at.is_(None))
        .order_by(Run.started_at.desc(), Run.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def export_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Every item as a flat row, oldest first; anonymous rows have no author."""
    query = _loaded(select(Feedback).order_by(Feedback.id)).execution_options(yield_per=500)
    for fb in session.scalars(query):
        item = item_of(fb)
        yield {
            "id": item.feedback_id,
            "created_at": item.created_at.isoformat(),
            "sop": item.slug,
            "sop_title": item.sop_title,
            "revision": item.revision,
            "step": item.step_number,
            "step_title": item.step_title,
            "kind": item.kind,
            "status": item.status,
            "author": item.author_id or "",
            "anonymous": "yes" if fb.anonymous else "no",
            "text": item.text,
            "reason": item.reason or "",
            "handled_by": item.handled_by or "",
            "status_changed_at": fb.status_changed_at.isoformat() if fb.status_changed_at else "",
            "addressed_in": item.addressed_in or "",
        }
