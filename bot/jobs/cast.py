"""Resolve every live SOP's `cast:` to people and store it, like the training audience."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.config import ExternalPeople
from bot.core.model import Sop
from bot.db import sops as repo
from bot.db.models import SopRecord
from bot.jobs.context import JobContext
from bot.jobs.triggers import Every
from bot.services import cast as cast_service
from bot.services.audience import Resolver, Unresolved
from bot.slack.people import SlackDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CastReport:
    """One SOP's cast as resolved: people per role, entries naming nobody, people skipped."""

    slug: str
    people: dict[str, int]
    unresolved: tuple[tuple[str, Unresolved], ...]  # (role, problem)
    skipped: tuple[tuple[str, Unresolved], ...]  # (role, who and why)

    def lines(self) -> list[str]:
        """What `sopbot sops publish` / `check` print about it."""
        roles = ", ".join(f"{role} {count}" for role, count in self.people.items())
        out = [f"cast       {self.slug}: {roles}"]
        out += [f"           {role}: unresolved {problem}" for role, problem in self.unresolved]
        out += [f"           {role}: skipped {who}" for role, who in self.skipped]
        return out


def cast_report(slug: str, roles: list[cast_service.RoleCast]) -> CastReport:
    """What one SOP's resolved cast comes to, for people reading it."""
    return CastReport(
        slug=slug,
        people={r.role: len(r.people) for r in roles},
        unresolved=tuple((r.role, u) for r in roles for u in r.unresolved),
        skipped=tuple((r.role, u) for r in roles for u in r.skipped),
    )


def check_cast(
    client: WebClient, sops: Iterable[Sop], *, policy: ExternalPeople
) -> list[CastReport]:
    """Resolve the casts of `sops` without storing anything (`sopbot sops check`)."""
    resolver = Resolver(SlackDirectory(client))
    return [
        cast_report(sop.slug, cast_service.resolve_cast(resolver, sop.cast, policy=policy))
        for sop in sops
        if sop.cast
    ]


def refresh_cast(job: JobContext, *, slugs: set[str] | None = None) -> list[CastReport]:
    """Resolve and store the cast of each live SOP (or of `slugs`); idempotent."""
    runtime = job.runtime
    if not runtime.settings.slack_bot_token:
        log.info("cast not resolved: SLACK_BOT_TOKEN is not set")
        return []
    with runtime.database.session() as session:
        workspace = repo.default_workspace(session)
        targets = [
            (record.id, record.slug, sop.cast)
            for record, sop in repo.current_sops(session, workspace_id=workspace.id)
            if slugs is None or record.slug in slugs
        ]
    resolver = Resolver(SlackDirectory(job.client))
    reports = []
    for sop_id, slug, cast in targets:
        try:  # Slack is asked outside any transaction
            roles = cast_service.resolve_cast(
                resolver, cast, policy=runtime.settings.external_people
            )
        except SlackApiError as exc:
            log.warning("cast of %s not resolved: Slack said %s", slug, exc)
            continue
        with runtime.database.session() as session:
            record = session.get(SopRecord, sop_id)
            assert record is not None
            cast_service.refresh(session, record=record, roles=roles, now=runtime.clock())
        report = cast_report(slug, roles)
        for line in report.lines()[1:]:
            log.warning("%s %s", slug, line.strip())
        if cast:
            reports.append(report)
    return reports


def refresh_job(job: JobContext) -> None:
    """The scheduled cast pass (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    refresh_cast(job)


# Like the training audience: when `sopbot run` / `worker` starts, then daily.
REFRESH_TRIGGER = Every(timedelta(days=1), at_start=True)
