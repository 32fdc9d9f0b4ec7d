"""Scheduled training work: assign every live SOP's audience (daily and at start-up), remind."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from slack_sdk.errors import SlackApiError

from bot.core.frontmatter import EMAIL_RE
from bot.db import sops as repo
from bot.db.models import Revision, SopRecord
from bot.jobs.context import JobContext
from bot.jobs.managers import Channels
from bot.jobs.triggers import Every
from bot.runtime import Runtime
from bot.services.audience import Resolver, admitted
from bot.services.reminders import ReminderReport, send_reminders
from bot.services.training import (
    AssignResult,
    assign,
    latest_material_revision,
    withdraw_leavers,
)
from bot.slack.people import SlackDirectory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """A live SOP whose latest material revision needs its audience assigned."""

    sop_id: int
    revision_id: int
    slug: str
    audience: tuple[str, ...]
    owner: str | None


def _targets(runtime: Runtime, slugs: set[str] | None) -> list[Target]:
    targets = []
    with runtime.database.session() as session:
        workspace = repo.default_workspace(session)
        for record, current in repo.current_sops(session, workspace_id=workspace.id):
            if slugs is not None and record.slug not in slugs:
                continue
            revision = latest_material_revision(session, sop_id=record.id)
            if revision is None:
                continue  # every revision so far was published as minor
            # The current revision says who the audience is now, even when it only changed
            # the front matter (not material): newcomers still learn the material revision.
            targets.append(
                Target(record.id, revision.id, record.slug, current.audience, current.owner)
            )
    return targets


def assign_training(job: JobContext, *, slugs: set[str] | None = None) -> list[AssignResult]:
    """Resolve each live SOP's audience and assign its latest material revision; idempotent."""
    runtime = job.runtime
    if not runtime.settings.slack_bot_token:
        log.info("training not assigned: SLACK_BOT_TOKEN is not set")
        return []
    resolver = Resolver(SlackDirectory(job.client))
    results = []
    for target in _targets(runtime, slugs):
        # Slack is asked outside any transaction: a SQLite write lock must never wait on HTTP.
        try:
            audience = admitted(
                resolver.resolve(target.audience), policy=runtime.settings.external_people
            )
            owner = resolver.person(target.owner) if target.owner else None
        except SlackApiError as exc:
            log.warning("training for %s not assigned: Slack said %s", target.slug, exc)
            continue
        with runtime.database.session() as session:
            record = session.get(SopRecord, target.sop_id)
            revision = session.get(Revision, target.revision_id)
            assert record is not None and revision is not None
            result = assign(
                session,
                record=record,
                revision=revision,
                audience=audience,
                owner=owner,
                now=runtime.clock(),
                render=job.renderers.training,
            )
            withdrawn = withdraw_leavers(
                session, revision=revision, audience=audience, now=runtime.clock()
            )
            result = replace(result, withdrawn=withdrawn)
        for problem in result.unresolved:
            log.warning("%s v%s audience: %s", result.slug, result.revision, problem)
        for problem in audience.skipped:
            log.info("%s v%s audience skipped %s", result.slug, result.revision, problem)
        result = replace(result, skipped=audience.skipped)
        results.append(result)
    return results


class OwnerIds:
    """An SOP owner (user ID or e-mail) as an active user's ID, asked of Slack once per pass."""

    def __init__(self, job: JobContext) -> None:
        self.job = job
        self._resolver: Resolver | None = None
        self._found: dict[str, str | None] = {}

    def __call__(self, owner: str) -> str | None:
        if not self.job.runtime.settings.slack_bot_token:
            return None if EMAIL_RE.match(owner) else owner  # nothing to check against
        if owner not in self._found:
            if self._resolver is None:
                self._resolver = Resolver(SlackDirectory(self.job.client))
            person = self._resolver.person(owner)
            self._found[owner] = person.id if person is not None else None
        return self._found[owner]


def remind_training(job: JobContext) -> ReminderReport:
    """Queue due reminders, mark overdue assignments and tell owners; idempotent."""
    runtime = job.runtime
    interval = timedelta(seconds=runtime.settings.remind_after_seconds)
    with runtime.database.session() as session:
        # Owners are checked with Slack inside this transaction, but only for SOPs with newly
        # overdue people: at most once per SOP a day.
        return send_reminders(
            session,
            now=runtime.clock(),
            interval=interval,
            render=job.renderers.training,
            owner_id=OwnerIds(job),
            managers_of=Channels(job),
        )


def assign_job(job: JobContext) -> None:
    """The scheduled audience pass (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    assign_training(job)


def remind_job(job: JobContext) -> None:
    """The scheduled reminder pass (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    remind_training(job)


# The audience pass runs when `sopbot run` / `worker` starts and then daily; reminders need
# finer steps than the quiet-hours window, so every ten minutes.
ASSIGN_TRIGGER = Every(timedelta(days=1), at_start=True)
REMIND_TRIGGER = Every(timedelta(minutes=10))
