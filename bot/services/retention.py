"""Keeping personal data only as long as it is needed (RETENTION_DAYS; README: Data retention).

Searches and runs name a person. Once a day is older than the retention period its numbers
are kept in the KPI rollups and the raw records are forgotten: events deleted, runs kept
without who ran them or where, the rollups' people replaced by stand-ins. A day is forgotten
only once its rollups are built and final (no run of it still open), so no KPI changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.kpis import day_window, local_day
from bot.db import retention as store
from bot.db import rollups
from bot.services import kpi_rollups

# Sent DMs and posts keep their text this long: enough to look into "what did sopbot send me?"
# while it is fresh; Slack holds the message itself.
SENT_TEXT_DAYS = 7


@dataclass(frozen=True)
class Forgotten:
    """What forgetting one day did; `kept_open` when a run of it is still open."""

    events: int = 0
    runs: int = 0
    kept_open: bool = False


def cutoff(now: datetime, *, retention_days: int) -> datetime:
    """Activity before this instant is past retention."""
    return now - timedelta(days=retention_days)


def days_past_retention(
    session: Session, *, workspace_id: int, tz: ZoneInfo, now: datetime, retention_days: int
) -> list[date]:
    """Whole local days before the cutoff that may still hold personal data, oldest first."""
    began = store.first_personal_activity(session, workspace_id=workspace_id)
    last = local_day(cutoff(now, retention_days=retention_days), tz) - timedelta(days=1)
    if began is None or local_day(began, tz) > last:
        return []
    first = local_day(began, tz)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def forget_day(
    session: Session, *, workspace_id: int, tz: ZoneInfo, day: date, now: datetime
) -> Forgotten | None:
    """Roll the day up if it needs it, then forget who did what on it; None: nothing to forget."""
    window = day_window(day, tz)
    if not store.has_personal_activity(session, workspace_id=workspace_id, window=window):
        return None
    kpi_rollups.roll_up_day(session, workspace_id=workspace_id, tz=tz, day=day, now=now)
    marker = rollups.rollup_days(
        session, workspace_id=workspace_id, tz=str(tz), first=day, last=day
    )[day]
    if marker.open_runs != 0:
        # Its rollups change when that run ends; they are rebuilt from these records then.
        return Forgotten(kept_open=True)
    events, runs = store.forget_activity(session, workspace_id=workspace_id, window=window)
    store.anonymise_rollups(session, workspace_id=workspace_id, day=day)
    return Forgotten(events=events, runs=runs)


def forget_people(
    session: Session, *, workspace_id: int, tz: ZoneInfo, now: datetime, retention_days: int
) -> int:
    """Delete the person numbers (and their user IDs) no rollup inside retention needs."""
    first_kept = local_day(cutoff(now, retention_days=retention_days), tz)
    return rollups.prune_people(session, workspace_id=workspace_id, before=first_kept)


def forget_old_messages(session: Session, *, now: datetime, retention_days: int) -> tuple[int, int]:
    """Blank sent messages' text after SENT_TEXT_DAYS; take authors off long-closed feedback.

    Returns (messages blanked, feedback items made authorless).
    """
    blanked = store.erase_sent_content(session, sent_before=now - timedelta(days=SENT_TEXT_DAYS))
    authors = store.forget_feedback_authors(
        session, closed_before=cutoff(now, retention_days=retention_days)
    )
    return blanked, authors
