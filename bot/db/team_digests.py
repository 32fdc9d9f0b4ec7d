"""The daily digest of each SOP managers channel: claimed once per channel and day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.models import Base, UtcDateTime
from bot.db.outbox import dialect_insert

QUEUED, SKIPPED_LATE, SKIPPED_EMPTY = "queued", "skipped_late", "skipped_empty"


class TeamDigest(Base):
    """One managers channel's digest of one local day, sent by whoever inserts this row."""

    __tablename__ = "team_digests"
    __table_args__ = (UniqueConstraint("workspace_id", "channel_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    channel_id: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str] = mapped_column(String(100))
    message_key: Mapped[str | None] = mapped_column(String(200))


def claim(
    session: Session,
    *,
    workspace_id: int,
    channel_id: str,
    day: date,
    status: str,
    now: datetime,
    by: str,
    message_key: str | None = None,
) -> bool:
    """Insert the channel's row for `day`; False when another process already has it."""
    result = session.execute(
        dialect_insert(session, TeamDigest)
        .values(
            workspace_id=workspace_id,
            channel_id=channel_id,
            day=day,
            status=status,
            claimed_at=now,
            claimed_by=by[:100],
            message_key=message_key,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "channel_id", "day"])
        .returning(TeamDigest.id)
    )
    return result.first() is not None


def claimed(session: Session, *, workspace_id: int, channel_id: str, day: date) -> bool:
    """Whether the channel's digest of `day` was claimed (a cheap check first)."""
    query = select(TeamDigest.id).where(
        TeamDigest.workspace_id == workspace_id,
        TeamDigest.channel_id == channel_id,
        TeamDigest.day == day,
    )
    return session.scalar(query) is not None
