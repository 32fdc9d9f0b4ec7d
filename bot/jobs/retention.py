"""Scheduled forgetting: Events API claims after a day, personal data after RETENTION_DAYS."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.db.events import prune_claims
from bot.jobs.context import JobContext
from bot.jobs.digest import config_of
from bot.jobs.triggers import Every
from bot.runtime import Runtime
from bot.services import retention

log = logging.getLogger(__name__)

# Slack retries an event three times within about five minutes of sending it; a day is ample.
CLAIMS_KEPT = timedelta(days=1)
CLAIMS_TRIGGER = Every(timedelta(hours=1))
# Daily, and at start-up so a process that seldom runs a whole day still gets to it.
RETENTION_TRIGGER = Every(timedelta(days=1), at_start=True)


@dataclass(frozen=True)
class RetentionReport:
    """What one retention pass did."""

    days: int = 0
    events: int = 0
    runs: int = 0
    kept_open: int = 0
    messages: int = 0
    authors: int = 0
    people: int = 0  # person numbers deleted, with the user IDs they stood for


def forget_claims(runtime: Runtime) -> int:
    """Forget Events API claims older than CLAIMS_KEPT."""
    with runtime.database.session() as session:
        return prune_claims(session, before=runtime.clock() - CLAIMS_KEPT)


def forget(runtime: Runtime) -> RetentionReport:
    """Forget personal data past RETENTION_DAYS, one short transaction per day."""
    workspace_id, config = config_of(runtime)
    days_kept = runtime.settings.retention_days
    with runtime.database.session() as session:
        days = retention.days_past_retention(
            session,
            workspace_id=workspace_id,
            tz=config.zone,
            now=runtime.clock(),
            retention_days=days_kept,
        )
    done = []
    for day in days:
        with runtime.database.session() as session:
            forgotten = retention.forget_day(
                session, workspace_id=workspace_id, tz=config.zone, day=day, now=runtime.clock()
            )
        if forgotten is not None:
            done.append(forgotten)
    with runtime.database.session() as session:
        messages, authors = retention.forget_old_messages(
            session, now=runtime.clock(), retention_days=days_kept
        )
    with runtime.database.session() as session:
        people = retention.forget_people(
            session,
            workspace_id=workspace_id,
            tz=config.zone,
            now=runtime.clock(),
            retention_days=days_kept,
        )
    report = RetentionReport(
        days=sum(not f.kept_open for f in done),
        events=sum(f.events for f in done),
        runs=sum(f.runs for f in done),
        kept_open=sum(f.kept_open for f in done),
        messages=messages,
        authors=authors,
        people=people,
    )
    if report != RetentionReport():
        log.info(
            "retention: forgot %d day(s) (%d events, %d runs), %d kept for an open run; "
            "blanked %d sent message(s); %d feedback author(s) removed; "
            "%d person number(s) deleted",
            report.days, report.events, report.runs, report.kept_open,
            report.messages, report.authors, report.people,
        )  # fmt: skip
    return report


def prune_claims_job(job: JobContext) -> None:
    """The hourly claims pass (a JobSpec in STANDARD_JOBS)."""
    forget_claims(job.runtime)


def retention_job(job: JobContext) -> None:
    """The daily retention pass (a JobSpec in STANDARD_JOBS)."""
    forget(job.runtime)
