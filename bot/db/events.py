"""The event log's appends, and claiming Events API deliveries so each is handled once across
processes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.db.models import Event, ProcessedEvent

_APPEND = insert(Event.__table__)  # built once; the columns come as parameters


def append_event(session: Session, **columns: object) -> None:
    """Append one row (Event's columns) to the log the KPIs read, as a plain INSERT.

    Not session.add: the unit of work's flush of that one row cost a lookup more than the rest
    of its database work (bench/ack_latency.py), and no one reads an event back as an object.
    """
    session.execute(_APPEND, columns)


def claim_event(session: Session, *, event_id: str, now: datetime) -> bool:
    """Record the event ID; False when some process already did (a retry or a replay)."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    result = session.execute(
        dialect.insert(ProcessedEvent)
        .values(event_id=event_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["event_id"])
        # RETURNING, not rowcount: psycopg reports -1 for this statement.
        .returning(ProcessedEvent.event_id)
    )
    return result.scalar() is not None


def prune_claims(session: Session, *, before: datetime) -> int:
    """Forget event IDs received before `before`; return how many went."""
    result = session.execute(
        delete(ProcessedEvent)
        .where(ProcessedEvent.received_at < before)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
