"""Each `managers:` channel's own daily digest of its SOPs: settings, who is covered, claims."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.core.kpis import Digest
from bot.db import outbox
from bot.db import team_digests as store
from bot.db.models import Workspace
from bot.services import digest_config
from bot.services.catalog import Entry
from bot.services.digest import DigestReport
from bot.services.digest_config import ConfigProblem, DigestConfig

SETTINGS_KEY = "team_digests"
Message = dict


def managers_channels(entries: Iterable[Entry]) -> dict[str, frozenset[str]]:
    """Each `managers:` channel as written -> the slugs of the SOPs (catalog entries, the live
    ones) naming it."""
    found: dict[str, set[str]] = {}
    for entry in entries:
        if entry.sop.managers:
            found.setdefault(entry.sop.managers, set()).add(entry.slug)
    return {channel: frozenset(slugs) for channel, slugs in found.items()}


def load(
    session: Session, *, settings: Settings, workspace: Workspace, channel_id: str
) -> DigestConfig:
    """The channel's digest settings: its own where stored, else the overview digest's."""
    base = digest_config.load(session, settings=settings, workspace=workspace)
    base = DigestConfig(channel_id, base.at, base.tz, base.weekdays, base.skip_empty)
    stored = ((workspace.settings or {}).get(SETTINGS_KEY) or {}).get(channel_id) or {}
    try:
        config = digest_config.parse(stored, base)
    except ConfigProblem:
        return base
    return DigestConfig(channel_id, config.at, config.tz, config.weekdays, config.skip_empty)


def save(session: Session, *, workspace: Workspace, config: DigestConfig) -> None:
    """Store one managers channel's digest settings."""
    assert config.channel is not None
    teams = dict((workspace.settings or {}).get(SETTINGS_KEY) or {})
    teams[config.channel] = config.to_json()
    workspace.settings = {**(workspace.settings or {}), SETTINGS_KEY: teams}


def message_key(workspace_id: int, channel_id: str, day: date) -> str:
    """The outbox key of a managers channel's digest."""
    return f"team-digest:{workspace_id}:{channel_id}:{day.isoformat()}"


def queue(
    session: Session,
    *,
    workspace_id: int,
    channel_id: str,
    result: DigestReport,
    now: datetime,
    by: str,
    render: Callable[[Digest, bool], Message],
) -> bool:
    """Claim the channel's day and queue its digest in one transaction; False if claimed."""
    day = result.digest.day
    key = message_key(workspace_id, channel_id, day)
    if not store.claim(
        session, workspace_id=workspace_id, channel_id=channel_id, day=day,
        status=store.QUEUED, now=now, by=by, message_key=key,
    ):  # fmt: skip
        return False
    outbox.enqueue(
        session,
        key=key,
        workspace_id=workspace_id,
        channel_id=channel_id,
        now=now,
        **render(result.digest, False),
    )
    return True


def skip(
    session: Session, *, workspace_id: int, channel_id: str, day: date, status: str, now: datetime,
    by: str,
) -> bool:  # fmt: skip
    """Claim the channel's day without sending (late after downtime, or quiet)."""
    return store.claim(
        session, workspace_id=workspace_id, channel_id=channel_id, day=day, status=status,
        now=now, by=by,
    )  # fmt: skip
