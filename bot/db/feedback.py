"""Feedback on a step: the items, where they were routed, the rate-limit quota and the salt."""

from __future__ import annotations

import hashlib
import hmac
import secrets
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

from bot.db.models import Base, BigId, Revision, SopRecord, UtcDateTime
from bot.db.outbox import dialect_insert

OPEN, ACKNOWLEDGED, RESOLVED, WONT_FIX, WITHDRAWN = (
    "open",
    "acknowledged",
    "resolved",
    "wont_fix",
    "withdrawn",
)
UNHANDLED = (OPEN, ACKNOWLEDGED)
SALT_NAME = "feedback_rate_salt"


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
    """One feedback item given by a keyed hash of its author, kept only for the hourly limit.

    Not linked to the feedback row, and deleted once older than the window.
    """

    __tablename__ = "feedback_quota"
    __table_args__ = (Index("ix_feedback_quota_author_hash_at", "author_hash", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    author_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class InstallSecret(Base):
    """A random secret generated once per install (e.g. the rate-limit HMAC key)."""

    __tablename__ = "install_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


def install_secret(session: Session, *, name: str, now: datetime) -> str:
    """The secret called `name`, created on first use; concurrent first uses agree on one."""
    session.execute(
        dialect_insert(session, InstallSecret)
        .values(name=name, value=secrets.token_hex(32), created_at=now)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    return session.scalars(select(InstallSecret.value).where(InstallSecret.name == name)).one()


def author_hash(session: Session, *, workspace_id: int, user_id: str, now: datetime) -> str:
    """HMAC-SHA256 of the person under the install's salt: counts them without naming them."""
    salt = install_secret(session, name=SALT_NAME, now=now)
    message = f"{workspace_id}:{user_id}".encode()
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()


def lock_author(session: Session, *, author: str) -> None:
    """Serialise one person's submissions on PostgreSQL (SQLite has one writer anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int(author[:15], 16)  # 60 bits: fits a bigint
        session.execute(select(func.pg_advisory_xact_lock(key)))


def count_recent(session: Session, *, author: str, since: datetime) -> int:
    """How many items this hashed author gave since `since`."""
    return session.scalar(
        select(func.count())
        .select_from(FeedbackQuota)
        .where(FeedbackQuota.author_hash == author, FeedbackQuota.at >= since)
    )


def spend_quota(session: Session, *, author: str, now: datetime, forget_before: datetime) -> None:
    """Count one item for `author` and forget every entry older than the window."""
    session.execute(delete(FeedbackQuota).where(FeedbackQuota.at < forget_before))
    session.add(FeedbackQuota(author_hash=author, at=now))


def routes_of(session: Session, *, feedback_id: int) -> list[FeedbackRoute]:
    """The messages an item was routed to, in routing order."""
    query = select(FeedbackRoute).where(FeedbackRoute.feedback_id == feedback_id)
    return list(session.scalars(query.order_by(FeedbackRoute.id)))
