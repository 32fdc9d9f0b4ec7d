"""SOP reviews: which SOPs are past their `review_every`, nudging owners, confirming a review."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.core.model import Sop
from bot.db import outbox
from bot.db import sops as repo
from bot.db.events import append_event
from bot.db.models import SopRecord

Message = dict[str, Any]


@dataclass(frozen=True)
class StaleNudge:
    """One SOP past its review date, in its `period`-th review period since the last change."""

    sop_id: int
    slug: str
    title: str
    path: str
    owner: str | None
    since: datetime
    reviewed: bool  # True: `since` is a review confirmation, not a revision
    review_every_days: int
    days_since: int
    period: int
    managers: str | None = None  # the SOP's `managers:` channel as written

    @property
    def key(self) -> str:
        """The outbox key: one nudge per SOP, review baseline and period, across replicas."""
        return f"stale:{self.sop_id}:{int(self.since.timestamp())}:{self.period}"


def stale_sops(session: Session, *, workspace_id: int, now: datetime) -> list[StaleNudge]:
    """Live SOPs whose latest revision or review is older than their `review_every`."""
    found = []
    for record, sop in repo.current_sops(session, workspace_id=workspace_id):
        nudge = staleness(record, sop, now)
        if nudge is not None:
            found.append(nudge)
    return found


def staleness(record: SopRecord, sop: Sop, now: datetime) -> StaleNudge | None:
    """The SOP's nudge if it is stale at `now` (exactly one period old is not yet stale)."""
    if not sop.review_every_days or record.current_revision is None:
        return None
    revised = record.current_revision.published_at
    reviewed = record.last_reviewed_at is not None and record.last_reviewed_at > revised
    since = record.last_reviewed_at if reviewed and record.last_reviewed_at else revised
    every = timedelta(days=sop.review_every_days)
    age = now - since
    if age <= every:
        return None
    return StaleNudge(
        sop_id=record.id,
        slug=record.slug,
        title=sop.title,
        path=record.path,
        owner=record.owner,
        since=since,
        reviewed=reviewed,
        review_every_days=sop.review_every_days,
        days_since=age.days,
        period=int(age / every),
        managers=sop.managers,
    )


def nudge(
    session: Session,
    *,
    workspace_id: int,
    item: StaleNudge,
    owner_id: str | None,
    now: datetime,
    render: Callable[[StaleNudge], Message],
    managers_channel: str | None = None,
) -> bool:
    """Queue the owner's DM for this review period, or when the owner cannot be reached, the
    message to the SOP's `managers:` channel; False if it was queued before (or to nobody)."""
    address = {"user_id": owner_id} if owner_id else {"channel_id": managers_channel}
    if not owner_id and not managers_channel:
        return False
    return outbox.enqueue(
        session, key=item.key, workspace_id=workspace_id, now=now, **address, **render(item)
    )


def confirm_review(session: Session, *, record: SopRecord, user_id: str | None, now: datetime):
    """Record that the SOP was reviewed and is still right (no new revision)."""
    record.last_reviewed_at = now
    append_event(
        session,
        workspace_id=record.workspace_id,
        at=now,
        kind="sop_reviewed",
        user_id=user_id,
        sop_id=record.id,
        revision_id=record.current_revision_id,
        data={},
    )
