"""Feedback on a step: the items, where they were routed and the anonymous rate-limit counters."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from bot.db.models import Base, Revision, SopRecord, UtcDateTime
from bot.db.outbox import dialect_insert

OPEN, ACKNOWLEDGED, RESOLVED, WONT_FIX, WITHDRAWN = (
    "open",
    "acknowledged",
    "resolved",
    "wont_fix",
    "withdrawn",
)
UNHANDLED = (OPEN, ACKNOWLEDGED)


class Feedback(Base):
    """One piece of feedback on one step of one revision; no author when anonymous."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("source_key"),
        Index("ix_feedback_status_created_at", "status", "created_at"),
        Index("ix_feedback_author_id_created_at", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sop_id: Mapped[int] = mapped_column(ForeignKey("sops.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    step_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    # The step's Markdown as the author would write it (a suggestion); None when not given.
    suggestion: Mapped[str | None] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(Boolean)
    author_id: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    handled_by: Mapped[str | None] = mapped_column(String(32))
    status_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped on every change the routed messages must show; part of each update's outbox key.
    version: Mapped[int] = mapped_column(Integer)
    addressed_revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    addressed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The view or command that created it, so a resubmission after a timeout is not a duplicate.
    source_key: Mapped[str | None] = mapped_column(String(100))

    sop: Mapped[SopRecord] = relationship()
    revision: Mapped[Revision] = relationship(foreign_keys=[revision_id])
    addressed_revision: Mapped[Revision | None] = relationship(foreign_keys=[addressed_revision_id])


class FeedbackRoute(Base):
    """One message a feedback item was routed to, by its outbox key."""

    __tablename__ = "feedback_routes"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(32))  # the owner's user ID or a channel ID


class FeedbackQuota(Base):
    """How many anonymous items one unnamed person gave in one clock hour, for the limit.

    The hash is keyed by a per-hour key the database does not hold (services/feedback_quota.py);
    no exact time is kept, and rows of ended hours are deleted.
    """

    __tablename__ = "feedback_quota"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True, index=True)
    author_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    items: Mapped[int] = mapped_column(Integer)


def lock_author(session: Session, *, author: str) -> None:
    """Serialise one person's submissions on PostgreSQL (SQLite has one writer anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(author[:15], 16)  # 60 bits: fits a bigint
        session.execute(select(func.pg_advisory_xact_lock(key)))


def named_count(session: Session, *, workspace_id: int, user_id: str, since: datetime) -> int:
    """How many items this person gave under their name since `since` (withdrawn ones too)."""
    return session.scalar(
        select(func.count())
        .select_from(Feedback)
        .where(
            Feedback.workspace_id == workspace_id,
            Feedback.author_id == user_id,
            Feedback.created_at >= since,
        )
    )


def anonymous_count(session: Session, *, workspace_id: int, start: datetime, author: str) -> int:
    """How many anonymous items the hashed author gave in the hour from `start`."""
    found = session.scalar(
        select(FeedbackQuota.items).where(
            FeedbackQuota.workspace_id == workspace_id,
            FeedbackQuota.window_start == start,
            FeedbackQuota.author_hash == author,
        )
    )
    return found or 0


def count_anonymous(session: Session, *, workspace_id: int, start: datetime, author: str) -> None:
    """Add one to the hashed author's counter for the hour, atomically across processes."""
    session.execute(
        dialect_insert(session, FeedbackQuota)
        .values(workspace_id=workspace_id, window_start=start, author_hash=author, items=1)
        .on_conflict_do_update(
            index_elements=["workspace_id", "window_start", "author_hash"],
            set_={"items": FeedbackQuota.items + 1},
        )
    )


def forget_quota_before(session: Session, *, start: datetime) -> int:
    """Delete the counters of hours that began before `start`; returns how many went."""
    result = session.execute(delete(FeedbackQuota).where(FeedbackQuota.window_start < start))
    return result.rowcount


def routes_of(session: Session, *, feedback_id: int) -> list[FeedbackRoute]:
    """The messages an item was routed to, in routing order."""
    query = select(FeedbackRoute).where(FeedbackRoute.feedback_id == feedback_id)
    return list(session.scalars(query.order_by(FeedbackRoute.id)))
