"""Recordings of new SOPs (`/sop record`): the thread they live in and the steps posted there."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db.models import Base, UtcDateTime
from bot.db.outbox import dialect_insert


class Recording(Base):
    """One `/sop record`: who records, in which thread, and what became of it."""

    __tablename__ = "recordings"
    # The unique pair is also the index every message in a thread is looked up by.
    __table_args__ = (UniqueConstraint("channel_id", "thread_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    slug: Mapped[str | None] = mapped_column(String(100))  # the id Finish chose
    published_revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    file_written_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # after the rename
    # People told that their messages in the thread are not steps (each once).
    told: Mapped[list[Any]] = mapped_column(JSON, default=list)


class RecordingStep(Base):
    """A message the recorder posted in the thread: the step's text and when it was posted."""

    __tablename__ = "recording_steps"
    # Slack retries message events: the same message is one step, whichever process gets it.
    __table_args__ = (UniqueConstraint("recording_id", "message_ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    message_ts: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    posted_at: Mapped[datetime] = mapped_column(UtcDateTime)


def add_recording(
    session: Session,
    *,
    workspace_id: int,
    user_id: str,
    channel_id: str,
    thread_ts: str,
    title: str,
    now: datetime,
) -> Recording:
    """Store a new recording in the thread of `thread_ts`."""
    recording = Recording(
        workspace_id=workspace_id,
        user_id=user_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        title=title,
        started_at=now,
        told=[],
    )
    session.add(recording)
    session.flush()
    return recording


def recording_in_thread(
    session: Session, *, channel_id: str, thread_ts: str, lock: bool = False
) -> Recording | None:
    """The recording that still takes steps in this thread (one indexed look-up); with `lock`,
    held until the transaction ends, so its messages are taken one at a time."""
    query = select(Recording).where(
        Recording.channel_id == channel_id,
        Recording.thread_ts == thread_ts,
        Recording.finished_at.is_(None),
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def get_recording(session: Session, *, recording_id: int, lock: bool = False) -> Recording | None:
    """A recording by ID; with `lock`, held until the transaction ends (Publish, Finish)."""
    query = select(Recording).where(Recording.id == recording_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalars(query).one_or_none()


def add_step(
    session: Session, *, recording_id: int, message_ts: str, text: str, now: datetime
) -> bool:
    """Store a posted message as the next step; False when that message already is one."""
    inserted = session.execute(
        dialect_insert(session, RecordingStep)
        .values(recording_id=recording_id, message_ts=message_ts, text=text, posted_at=now)
        .on_conflict_do_nothing(index_elements=["recording_id", "message_ts"])
        .returning(RecordingStep.id)
    )
    return inserted.scalar() is not None


def list_steps(session: Session, *, recording_id: int) -> list[RecordingStep]:
    """The recording's steps in the order they were posted."""
    return list(
        session.scalars(
            select(RecordingStep)
            .where(RecordingStep.recording_id == recording_id)
            .order_by(RecordingStep.posted_at, RecordingStep.id)
        )
    )


def remove_step(session: Session, *, step_id: int) -> None:
    """Forget one step."""
    session.execute(delete(RecordingStep).where(RecordingStep.id == step_id))


def awaits_file(session: Session, *, revision_id: int) -> bool:
    """Whether a recorded SOP's v1 was published but its file never written (a crash between)."""
    found = session.scalar(
        select(Recording.id).where(
            Recording.published_revision_id == revision_id, Recording.file_written_at.is_(None)
        )
    )
    return found is not None


def delete_recording(session: Session, *, recording_id: int) -> None:
    """Forget a recording and every step of it."""
    session.execute(delete(RecordingStep).where(RecordingStep.recording_id == recording_id))
    session.execute(delete(Recording).where(Recording.id == recording_id))
