"""Who plays each role of an SOP: its `cast:` resolved to people, stored per SOP and role.

`holders` and `holds_role` are the one answer to "who may take a step (or a run) of role R of
SOP S"; the cast is refreshed with the training audience (at start-up, daily, after publish).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from bot.config import ExternalPeople
from bot.core.cast import Cast, entries_of
from bot.core.model import Sop
from bot.db.models import CastMember, SopRecord
from bot.services.audience import Person, Resolver, Unresolved, admitted


@dataclass(frozen=True)
class RoleCast:
    """One role's people and the entries that named nobody."""

    role: str
    people: tuple[Person, ...]
    unresolved: tuple[Unresolved, ...]
    skipped: tuple[Unresolved, ...] = ()  # external people the policy keeps out, and why


def has_cast(sop: Sop, role: str | None) -> bool:
    """Whether the SOP casts `role` (else anyone following the run may take its steps)."""
    return bool(entries_of(sop.cast, role))


def resolve_cast(resolver: Resolver, cast: Cast, *, policy: ExternalPeople) -> list[RoleCast]:
    """Each cast role's people; guests and other organisations only where `policy` allows."""
    found = []
    for role, entries in cast:
        audience = admitted(resolver.resolve(entries), policy=policy)
        found.append(RoleCast(role, audience.people, audience.unresolved, audience.skipped))
    return found


def refresh(
    session: Session, *, record: SopRecord, roles: Sequence[RoleCast], now: datetime
) -> None:
    """Store the SOP's cast as just resolved, replacing what was stored before."""
    session.execute(delete(CastMember).where(CastMember.sop_id == record.id))
    for role in roles:
        for person in role.people:
            session.add(
                CastMember(
                    workspace_id=record.workspace_id,
                    sop_id=record.id,
                    role=role.role,
                    user_id=person.id,
                    refreshed_at=now,
                )
            )
    session.flush()


def _sop_id(session: Session, sop: int | str) -> int | None:
    if isinstance(sop, int):
        return sop
    return session.scalar(select(SopRecord.id).where(SopRecord.slug == sop))


def holders(session: Session, *, sop: int | str, role: str) -> list[str]:
    """The user IDs holding `role` of the SOP (by ID or slug), sorted; empty without a cast."""
    sop_id = _sop_id(session, sop)
    if sop_id is None:
        return []
    return list(
        session.scalars(
            select(CastMember.user_id)
            .where(CastMember.sop_id == sop_id, func.lower(CastMember.role) == role.lower())
            .order_by(CastMember.user_id)
        )
    )


# Built once: a hand-off asks it on every Done press into a cast role's step.
_HOLDS = (
    select(CastMember.id)
    .where(
        CastMember.sop_id == bindparam("sop_id"),
        func.lower(CastMember.role) == bindparam("role"),
        CastMember.user_id == bindparam("user_id"),
    )
    .limit(1)
)


def holds_role(session: Session, *, sop: int | str, role: str, user_id: str) -> bool:
    """Whether `user_id` holds `role` of the SOP (by ID or slug) as last resolved."""
    sop_id = _sop_id(session, sop)
    found = {"sop_id": sop_id, "role": role.lower(), "user_id": user_id}
    return sop_id is not None and session.scalar(_HOLDS, found) is not None
