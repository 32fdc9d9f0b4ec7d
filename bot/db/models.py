"""SQLAlchemy models: the tables sopbot keeps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC; SQLite drops the zone, so it is put back on load."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UtcDateTime column")
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        # The KPI queries load tens of thousands of these: one call per value instead of
        # SQLAlchemy's chain of three (parse, decorator, process_result_value).
        if dialect.name == "postgresql":
            return None  # timestamptz values come back aware from psycopg
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            if value is None or isinstance(value, datetime):
                return self.process_result_value(value, dialect)
            # Stored as naive UTC text; parsing the zone is faster than datetime.replace().
            return datetime.fromisoformat(value + "+00:00")

        return process


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations name constraints stably."""

    metadata = MetaData(naming_convention=NAMING)


class Workspace(Base):
    """A Slack workspace (team); a single-team install has exactly one."""

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    slack_team_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # When the install first ran, for people; no code reads it. Stamped by whoever makes the
    # row with the injected clock (bot.db.sops.open_workspace), never by a column default.
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SopRecord(Base):
    """An SOP across all its revisions, identified by its slug."""

    __tablename__ = "sops"
    __table_args__ = (UniqueConstraint("workspace_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(String(500), default="")
    owner: Mapped[str | None] = mapped_column(String(320))
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("revisions.id", use_alter=True, name="fk_sops_current_revision")
    )
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    current_revision: Mapped[Revision | None] = relationship(
        foreign_keys=[current_revision_id], post_update=True
    )


class Revision(Base):
    """One immutable published version of an SOP, with its parsed content and diff."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("sop_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_id: Mapped[int] = mapped_column(ForeignKey("sops.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(Json)
    source: Mapped[str] = mapped_column(Text)
    diff: Mapped[dict[str, Any]] = mapped_column(Json)
    material: Mapped[bool] = mapped_column(Boolean)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when the revision was made from Slack: who saved it, their note, whose wording it is.
    editor: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    credit: Mapped[str | None] = mapped_column(String(32))

    sop: Mapped[SopRecord] = relationship(foreign_keys=[sop_id])
    steps: Mapped[list[StepRecord]] = relationship(
        back_populates="revision", order_by="StepRecord.number", cascade="all, delete-orphan"
    )
    questions: Mapped[list[QuizQuestion]] = relationship(
        back_populates="revision", order_by="QuizQuestion.number", cascade="all, delete-orphan"
    )


class StepRecord(Base):
    """A step of one revision, as its own row so runs, feedback and KPIs can point at it."""

    __tablename__ = "steps"
    __table_args__ = (UniqueConstraint("revision_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    role: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")

    revision: Mapped[Revision] = relationship(back_populates="steps")


class QuizQuestion(Base):
    """A quiz question of one revision; options are stored as a JSON list."""

    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("revision_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    options: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    explanation: Mapped[str] = mapped_column(Text, default="")
    step_number: Mapped[int | None] = mapped_column(Integer)

    revision: Mapped[Revision] = relationship(back_populates="questions")


BigId = BigInteger().with_variant(Integer(), "sqlite")


class Run(Base):
    """One person following one revision of an SOP in a Slack thread."""

    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_user_id_status", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sop_id: Mapped[int] = mapped_column(ForeignKey("sops.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    current_step: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    restarted_from_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))

    sop: Mapped[SopRecord] = relationship()
    revision: Mapped[Revision] = relationship()


class RunVisit(Base):
    """One showing of one step in a run: posted, then done, gone back from, or closed."""

    __tablename__ = "run_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    step_number: Mapped[int] = mapped_column(Integer)
    message_ts: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(String(16))
    # Hand-offs (bot/services/cast.py): the step's role, who has it (None while it waits for
    # someone of a cast role) and when they took it.
    role: Mapped[str | None] = mapped_column(String(200))
    assignee_id: Mapped[str | None] = mapped_column(String(32))
    taken_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    run: Mapped[Run] = relationship()


class CastMember(Base):
    """One person who plays one role of an SOP, as its `cast:` resolved at `refreshed_at`."""

    __tablename__ = "cast_members"
    __table_args__ = (UniqueConstraint("sop_id", "role", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    sop_id: Mapped[int] = mapped_column(ForeignKey("sops.id"))
    role: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[str] = mapped_column(String(32))
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Event(Base):
    """An append-only record of something that happened, read by the KPI digest."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_workspace_id_at", "workspace_id", "at"),
        Index("ix_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str | None] = mapped_column(String(32))
    sop_id: Mapped[int | None] = mapped_column(ForeignKey("sops.id"))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("revisions.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    step_number: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class ProcessedEvent(Base):
    """Events API deliveries already handled, so a retry reaching any process is skipped."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
