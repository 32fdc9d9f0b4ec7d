"""The live SOPs and their search index, cached per process until a publish changes them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bot.core.model import Sop
from bot.core.search import SearchIndex, clear_winner
from bot.db import sops as repo
from bot.db.models import SopRecord, Workspace


@dataclass(frozen=True)
class Entry:
    """One live SOP at its current revision."""

    record_id: int
    slug: str
    revision: int
    sop: Sop


# Any publish, retirement or return of an SOP changes at least one of these numbers; the newest
# current revision is the largest current_revision_id. One statement with the install's
# workspace (the first, as repo.default_workspace), built once: /sop asks it every time, and
# the workspace's own ORM query cost more than the check itself (bench/ack_latency.py).
_LIVE = and_(
    SopRecord.workspace_id == Workspace.id,
    SopRecord.retired_at.is_(None),
    SopRecord.current_revision_id.is_not(None),
)
_CHANGE_KEY = (
    select(
        Workspace.id,
        func.coalesce(func.max(SopRecord.current_revision_id), 0),
        func.count(SopRecord.id),
        func.coalesce(func.sum(SopRecord.id), 0),
    )
    .select_from(Workspace)
    .outerjoin(SopRecord, _LIVE)
    .where(Workspace.id == select(func.min(Workspace.id)).scalar_subquery())
    .group_by(Workspace.id)
)

SEARCHED = 8  # hits a query is judged on: the candidates offered, and the clear winner


@dataclass(frozen=True)
class Resolution:
    """What some words name: the one SOP they clearly mean (None if unsure), and the candidates."""

    entry: Entry | None
    candidates: tuple[Entry, ...]


@dataclass(frozen=True)
class Snapshot:
    """Every live SOP and an index to search them, as of one publish."""

    workspace_id: int
    entries: tuple[Entry, ...]
    index: SearchIndex

    @cached_property
    def _by_slug(self) -> dict[str, Entry]:
        return {e.slug: e for e in reversed(self.entries)}  # the first entry wins, as before

    def get(self, slug: str) -> Entry | None:
        """The live SOP with this slug."""
        return self._by_slug.get(slug)

    def resolve(self, query: str, *, slug_first: bool = True) -> Resolution:
        """The SOP `query` names: its exact slug, else the search hit that clearly wins.

        `/sop QUERY` passes `slug_first=False`: its search has never treated an exact slug
        specially (a slug that is also in other SOPs' titles offers a pick list there).
        """
        if slug_first and (exact := self.get(query.strip().lower())) is not None:
            return Resolution(exact, (exact,))
        hits = self.index.search(query, limit=SEARCHED)
        candidates = tuple(e for hit in hits if (e := self.get(hit.slug)) is not None)
        winner = clear_winner(hits)
        return Resolution(self.get(winner.slug) if winner else None, candidates)

    def restricted(self, entries: tuple[Entry, ...]) -> Snapshot:
        """The same snapshot with only these entries, searched on their own."""
        if entries == self.entries:
            return self
        return Snapshot(self.workspace_id, entries, SearchIndex([e.sop for e in entries]))


class Catalog:
    """Serves a Snapshot, rebuilding it only when the published SOPs changed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, ...] | None = None
        self._snapshot: Snapshot | None = None

    def snapshot(self, session: Session) -> Snapshot:
        """The current snapshot; costs one small aggregate query when nothing changed."""
        row = session.execute(_CHANGE_KEY).first()
        if row is None:
            raise repo.no_workspace()
        key = tuple(int(v) for v in row)
        with self._lock:
            if key == self._key and self._snapshot is not None:
                return self._snapshot
        workspace_id = key[0]
        entries = tuple(
            Entry(record.id, record.slug, record.current_revision.number, sop)
            for record, sop in repo.current_sops(session, workspace_id=workspace_id)
        )
        snapshot = Snapshot(workspace_id, entries, SearchIndex([e.sop for e in entries]))
        with self._lock:
            self._key, self._snapshot = key, snapshot
        return snapshot
