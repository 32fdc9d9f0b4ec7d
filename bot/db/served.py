"""What a database has served, kept in the workspace's settings: a real Slack, the playground."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from bot.db.models import SopRecord, Workspace
from bot.db.outbox import OutboxMessage
from bot.db.sops import open_workspace

REAL_SLACK = "served_real_slack_at"
PLAYGROUND = "served_playground_at"


def mark(session: Session, *, what: str, now: datetime) -> None:
    """Record, once, that this database served `what` (REAL_SLACK or PLAYGROUND)."""
    if what in (open_workspace(session, now=now).settings or {}):
        return
    # Locked, so a `/sop config` saved at the same moment is not lost (settings is one value).
    workspace = session.scalars(
        select(Workspace).order_by(Workspace.id).limit(1).with_for_update()
    ).one()
    workspace.settings = {**(workspace.settings or {}), what: now.isoformat()}


def marks(engine: Engine) -> dict[str, str] | None:
    """Every mark on the database's workspaces; None when it has none (a fresh database).

    Reads without migrating: it may be a database that some other sopbot version looks after.
    """
    if not inspect(engine).has_table(Workspace.__tablename__):
        return None
    with engine.connect() as connection:
        rows = connection.execute(select(Workspace.__table__.c.settings)).scalars().all()
    if not rows:
        return None
    found: dict[str, str] = {}
    for settings in rows:
        found.update({k: v for k, v in (settings or {}).items() if k in (REAL_SLACK, PLAYGROUND)})
    if not found and not _holds_data(engine):
        return None  # only the workspace row every sopbot command makes when it opens it
    return found


def _holds_data(engine: Engine) -> bool:
    """Whether any SOP or outgoing message is stored (what a playground must not mix with)."""
    with engine.connect() as connection:
        return any(
            connection.execute(select(table.c.id).limit(1)).first() is not None
            for table in (SopRecord.__table__, OutboxMessage.__table__)
        )
