"""The outbox: messages to send, written in the transaction that causes them; callers commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.models import Base, BigId, Json, UtcDateTime
from bot.db.session import in_chunks

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATES = (PENDING, SENDING, SENT, FAILED)
POST, UPDATE = "post", "update"
METADATA_EVENT_TYPE = "sopbot_outbox"


class OutboxMessage(Base):
    """One message to post (to a person by user ID, or to a channel) or one chat.update."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    update_ts: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    # True when an earlier attempt may have reached Slack without us learning its ts.
    maybe_sent: Mapped[bool] = mapped_column(Boolean)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(100), index=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_channel: Mapped[str | None] = mapped_column(String(32))
    sent_ts: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RateLimit(Base):
    """A send budget shared by every dispatcher: next free slot and any 429 block."""

    __tablename__ = "rate_limits"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(100), primary_key=True)
    next_free: Mapped[datetime] = mapped_column(UtcDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # OUTBOX_PER_MINUTE=auto: the pace learned so far, when the first 429 ended probing, and
    # the calls made in the current window (jobs/ratelimit.count_send).
    per_minute: Mapped[float | None] = mapped_column(Float)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    window_sent: Mapped[int | None] = mapped_column(Integer)


class DmChannel(Base):
    """The DM channel conversations.open returned for a person, so a retry need not reopen."""

    __tablename__ = "dm_channels"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)


def dialect_insert(session: Session, model: type[Base]) -> Any:
    """An INSERT that supports ON CONFLICT on this session's dialect."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def enqueue(
    session: Session,
    *,
    key: str,
    workspace_id: int,
    text: str,
    now: datetime,
    user_id: str | None = None,
    channel_id: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Queue a message to a person (user_id) or a channel; False if `key` was already queued."""
    if (user_id is None) == (channel_id is None):
        raise ValueError("address a message to exactly one of user_id or channel_id")
    return _add(
        session,
        key=key,
        workspace_id=workspace_id,
        kind=POST,
        text=text,
        now=now,
        user_id=user_id,
        channel_id=channel_id,
        blocks=blocks,
        thread_ts=thread_ts,
        not_before=not_before,
    )


def enqueue_update(
    session: Session,
    *,
    key: str,
    workspace_id: int,
    channel_id: str,
    ts: str,
    text: str,
    now: datetime,
    blocks: list[dict[str, Any]] | None = None,
) -> bool:
    """Queue a chat.update of the message channel_id + ts; False if `key` was already queued."""
    return _add(
        session,
        key=key,
        workspace_id=workspace_id,
        kind=UPDATE,
        text=text,
        now=now,
        channel_id=channel_id,
        update_ts=ts,
        blocks=blocks,
    )


def _add(session: Session, *, now: datetime, not_before: datetime | None = None, **row) -> bool:
    if not row["text"]:
        raise ValueError("an outbox message needs text (Slack's notification fallback)")
    result = session.execute(
        dialect_insert(session, OutboxMessage)
        .values(
            **row,
            state=PENDING,
            attempts=0,
            maybe_sent=False,
            next_attempt_at=not_before or now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxMessage.id)
    )
    # rowcount is unreliable for an INSERT that returns a generated key; a returned row is not.
    return result.first() is not None


def claim(
    session: Session, *, token: str, now: datetime, lease: timedelta, limit: int
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows to `token`; rows leased to others are skipped."""
    free = [
        OutboxMessage.state.in_((PENDING, SENDING)),
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.lease_expires_at.is_(None), OutboxMessage.lease_expires_at < now),
    ]
    # PostgreSQL: SKIP LOCKED lets dispatchers claim side by side; SQLite ignores FOR UPDATE
    # and is safe because BEGIN IMMEDIATE makes this transaction the only writer.
    due = (
        select(OutboxMessage.id)
        .where(*free)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    # Ids first, then the UPDATE: inside `IN (subquery)` PostgreSQL may run a LIMITed
    # subquery more than once and so claim more rows than asked for.
    ids = list(session.scalars(due))
    if not ids:
        return []
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), *free)
        .values(lease_owner=token, lease_expires_at=now + lease)
        .execution_options(synchronize_session=False)
    )
    query = select(OutboxMessage).where(OutboxMessage.lease_owner == token)
    return list(session.scalars(query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)))


def _leased(message_id: int, token: str) -> Any:
    return update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.lease_owner == token
    )


def _apply(session: Session, statement: Any, **values: Any) -> bool:
    result = session.execute(
        statement.values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark_sending(
    session: Session,
    *,
    message: OutboxMessage,
    token: str,
    now: datetime,
    lease: timedelta,
) -> bool:
    """Count an attempt and renew the lease; False if the lease passed to another dispatcher."""
    return _apply(
        session,
        _leased(message.id, token),
        state=SENDING,
        attempts=OutboxMessage.attempts + 1,
        first_attempt_at=message.first_attempt_at or now,
        lease_expires_at=now + lease,
    )


def mark_sent(session: Session, *, message_id: int, channel: str, ts: str, now: datetime) -> bool:
    """Record where the message landed; it reached Slack, so no lease check."""
    return _apply(
        session,
        update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.state != SENT),
        state=SENT,
        maybe_sent=False,
        sent_channel=channel,
        sent_ts=ts,
        sent_at=now,
        last_error=None,
        lease_owner=None,
        lease_expires_at=None,
    )


def mark_retry(
    session: Session,
    *,
    message_id: int,
    token: str,
    error: str,
    retry_at: datetime,
    maybe_sent: bool,
) -> bool:
    """Put the row back in the queue, due at `retry_at`."""
    return _apply(
        session,
        _leased(message_id, token),
        state=PENDING,
        maybe_sent=maybe_sent,
        last_error=error[:500],
        next_attempt_at=retry_at,
        lease_owner=None,
        lease_expires_at=None,
    )


def mark_failed(session: Session, *, message_id: int, token: str, error: str) -> bool:
    """Give up on the row, keeping why."""
    return _apply(
        session,
        _leased(message_id, token),
        state=FAILED,
        last_error=error[:500],
        lease_owner=None,
        lease_expires_at=None,
    )


def release(session: Session, *, message_ids: list[int], token: str, due: datetime) -> int:
    """Hand leased rows back untouched (due again at `due`), e.g. on shutdown or a full budget."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.lease_owner == token)
        .values(next_attempt_at=due, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def release_owned(session: Session, *, owner: str, due: datetime) -> int:
    """Hand back every row leased to dispatcher `owner` (its claim tokens start `owner#`).

    A row left `sending` stays so: the next dispatcher looks for it in Slack before posting.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.lease_owner.startswith(f"{owner}#", autoescape=True))
        .values(next_attempt_at=due, lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def superseded(session: Session, *, message: OutboxMessage) -> bool:
    """Whether a later chat.update of the same message is queued or done, making this one stale."""
    newer = select(OutboxMessage.id).where(
        OutboxMessage.id > message.id,  # a primary-key range: only rows queued since
        OutboxMessage.kind == UPDATE,
        OutboxMessage.channel_id == message.channel_id,
        OutboxMessage.update_ts == message.update_ts,
        OutboxMessage.state != FAILED,
    )
    return session.scalar(newer.limit(1)) is not None


def cached_dms(session: Session, *, messages: list[OutboxMessage]) -> dict[int, str]:
    """Message ID -> the DM channel already opened for its person."""
    people = {(m.workspace_id, m.user_id) for m in messages if m.user_id is not None}
    found = session.execute(
        select(DmChannel.workspace_id, DmChannel.user_id, DmChannel.channel_id).where(
            DmChannel.user_id.in_([user for _, user in people])
        )
    )
    channels = {(w, u): c for w, u, c in found if (w, u) in people}
    return {
        m.id: channels[m.workspace_id, m.user_id]
        for m in messages
        if (m.workspace_id, m.user_id) in channels
    }


def remember_dm(
    session: Session, *, workspace_id: int, user_id: str, channel_id: str, now: datetime
) -> None:
    """Cache a DM channel ID (a DM's ID never changes, so first writer wins)."""
    session.execute(
        dialect_insert(session, DmChannel)
        .values(workspace_id=workspace_id, user_id=user_id, channel_id=channel_id, opened_at=now)
        .on_conflict_do_nothing(index_elements=["workspace_id", "user_id"])
    )


def sent_message(session: Session, *, key: str) -> tuple[str, str] | None:
    """(channel, ts) of the message sent for `key`, so it can be chat.update'd; None if unsent."""
    row = session.execute(
        select(OutboxMessage.sent_channel, OutboxMessage.sent_ts).where(
            OutboxMessage.key == key, OutboxMessage.state == SENT
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def counts_by_state(session: Session) -> dict[str, int]:
    """How many rows are in each state (every state present, zero included)."""
    found = session.execute(
        select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
    ).all()
    return {state: 0 for state in STATES} | {state: count for state, count in found}


def oldest_waiting(session: Session) -> datetime | None:
    """When the oldest row not yet sent or failed was queued (None if none waits)."""
    waiting = OutboxMessage.state.in_((PENDING, SENDING))
    return session.scalar(select(func.min(OutboxMessage.created_at)).where(waiting))


def recent_failures(session: Session, *, limit: int = 20) -> list[OutboxMessage]:
    """Failed rows, newest first."""
    query = select(OutboxMessage).where(OutboxMessage.state == FAILED)
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def requeue_failed(session: Session, *, now: datetime, key: str | None = None) -> int:
    """Send failed rows (all, or the one with `key`) again with a fresh attempt count."""
    query = update(OutboxMessage).where(OutboxMessage.state == FAILED)
    if key is not None:
        query = query.where(OutboxMessage.key == key)
    result = session.execute(
        query.values(state=PENDING, attempts=0, next_attempt_at=now).execution_options(
            synchronize_session=False
        )
    )
    return result.rowcount


def rewrite_unsent(
    session: Session, *, key: str, text: str, blocks: list[dict[str, Any]] | None
) -> bool:
    """Replace the content of a message no dispatcher has tried yet; False if it may be on its
    way (or sent), in which case it goes out as it was."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.key == key,
            OutboxMessage.state == PENDING,
            OutboxMessage.attempts == 0,
            OutboxMessage.lease_owner.is_(None),
        )
        .values(text=text, blocks=blocks)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)


def cancel_unsent(session: Session, *, keys: list[str]) -> set[str]:
    """Delete outbox rows no dispatcher has tried yet; return the keys that were cancelled."""
    cancelled: set[str] = set()
    for chunk in in_chunks(keys):
        cancelled |= _cancel_unsent(session, chunk)
    return cancelled


def _cancel_unsent(session: Session, keys: Sequence[str]) -> set[str]:
    # Never tried and not leased means it cannot be in Slack nor on its way there.
    untried = select(OutboxMessage.key).where(
        OutboxMessage.key.in_(keys),
        OutboxMessage.state == PENDING,
        OutboxMessage.attempts == 0,
        OutboxMessage.lease_owner.is_(None),
    )
    cancelled = set(session.scalars(untried))
    if cancelled:
        session.execute(
            delete(OutboxMessage)
            .where(OutboxMessage.key.in_(cancelled), OutboxMessage.attempts == 0)
            .where(OutboxMessage.lease_owner.is_(None))
            .execution_options(synchronize_session=False)
        )
    return cancelled
