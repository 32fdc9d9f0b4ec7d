"""Finding SOPs for a person: search with recorded lookups and misses, and relevance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.events import append_event
from bot.db.models import Run
from bot.services.catalog import Entry, Snapshot

MAX_QUERY_STORED = 200


@dataclass(frozen=True)
class LookupResult:
    """What a search found: one SOP to start, several to pick from, or none."""

    kind: Literal["start", "pick", "none"]
    entries: tuple[Entry, ...] = ()
    closest: tuple[Entry, ...] = ()


def lookup(
    session: Session, *, snapshot: Snapshot, query: str, user_id: str, now: datetime
) -> LookupResult:
    """Search the live SOPs and record the lookup (a miss is a content gap to report)."""
    found = snapshot.resolve(query, slug_first=False)
    if found.entry is not None:
        result = LookupResult("start", (found.entry,))
    elif found.candidates:
        result = LookupResult("pick", found.candidates)
    else:
        titles = snapshot.index.closest_titles(query, limit=3)
        closest = tuple(e for t in titles for e in snapshot.entries if e.sop.title == t)
        result = LookupResult("none", closest=closest[:3])
    first = result.entries[0] if result.kind == "start" else None
    append_event(
        session,
        workspace_id=snapshot.workspace_id,
        at=now,
        kind="lookup" if result.kind != "none" else "lookup_miss",
        user_id=user_id,
        sop_id=first.record_id if first else None,
        data={
            "query": query[:MAX_QUERY_STORED],
            "result": result.kind,
            "hits": [e.slug for e in result.entries],
        },
    )
    return result


def relevant_sops(
    session: Session, *, snapshot: Snapshot, user_id: str, channel_name: str | None
) -> list[Entry]:
    """Live SOPs ordered for this person: their audience first, then what they ran, then A-Z."""
    recent = session.scalars(
        select(Run.sop_id).where(Run.user_id == user_id).order_by(Run.started_at.desc()).limit(50)
    ).all()
    recency = {sop_id: rank for rank, sop_id in reversed(list(enumerate(recent)))}
    mine = {user_id, f"#{channel_name}"} if channel_name else {user_id}

    def rank(entry: Entry) -> tuple[int, int, str]:
        in_audience = 0 if mine & set(entry.sop.audience) else 1
        return in_audience, recency.get(entry.record_id, len(recent)), entry.sop.title.casefold()

    return sorted(snapshot.entries, key=rank)
