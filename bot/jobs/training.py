"""Scheduled training work: assign every live SOP's audience (daily and at start-up), remind."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.frontmatter import EMAIL_RE
from bot.db import sops as repo
from bot.db.models import Revision, SopRecord
from bot.jobs.triggers import Every
from bot.runtime import Runtime
from bot.services.audience import Resolver
from bot.services.reminders import ReminderReport, send_reminders
from bot.services.training import (
    AssignResult,
    assign,
    latest_material_revision,
    withdraw_leavers,
)
from bot.slack.app import build_client
from bot.slack.directory import SlackDirectory
from bot.slack.trainer import RENDERERS

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


def assign_training(
    runtime: Runtime, *, client: WebClient | None = None, slugs: set[str] | None = None
) -> list[AssignResult]:
    """Resolve each live SOP's audience and assign its latest material revision; idempotent."""
    if client is None:
        if not runtime.settings.slack_bot_token:
            log.info("training not assigned: SLACK_BOT_TOKEN is not set")
            return []
        client = build_client(runtime)
    resolver = Resolver(SlackDirectory(client))
    results = []
    for target in _targets(runtime, slugs):
        # Slack is asked outside any transaction: a SQLite write lock must never wait on HTTP.
        try:
            audience = resolver.resolve(target.audience)
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
                render=RENDERERS,
            )
            withdrawn = withdraw_leavers(
                session, revision=revision, audience=audience, now=runtime.clock()
            )
            result = replace(result, withdrawn=withdrawn)
        for problem in result.unresolved:
            log.warning("%s v%s audience: %s", result.slug, result.revision, problem)
        results.append(result)
    return results


class OwnerIds:
    """An SOP owner (user ID or e-mail) as an active user's ID, asked of Slack once per pass."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._resolver: Resolver | None = None
        self._found: dict[str, str | None] = {}

    def __call__(self, owner: str) -> str | None:
        if not self.runtime.settings.slack_bot_token:
            return None if EMAIL_RE.match(owner) else owner  # nothing to check against
        if owner not in self._found:
            if self._resolver is None:
                self._resolver = Resolver(SlackDirectory(build_client(self.runtime)))
            person = self._resolver.person(owner)
            self._found[owner] = person.id if person is not None else None
        return self._found[owner]


def remind_training(runtime: Runtime) -> ReminderReport:
    """Queue due reminders, mark overdue assignments and tell owners; idempotent."""
    interval = timedelta(seconds=runtime.settings.remind_after_seconds)
    with runtime.database.session() as session:
        # Owners are checked with Slack inside this transaction, but only for SOPs with newly
        # overdue people: at most once per SOP a day.
        return send_reminders(
            session,
            now=runtime.clock(),
            interval=interval,
            render=RENDERERS,
            owner_id=OwnerIds(runtime),
        )


def assign_job(runtime: Runtime) -> None:
    """The scheduled audience pass (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    assign_training(runtime)


def remind_job(runtime: Runtime) -> None:
    """The scheduled reminder pass (a JobSpec in bot.jobs.scheduler.STANDARD_JOBS)."""
    remind_training(runtime)


# The audience pass runs when `sopbot run` / `worker` starts and then daily; reminders need
# finer steps than the quiet-hours window, so every ten minutes.
ASSIGN_TRIGGER = Every(timedelta(days=1), at_start=True)
REMIND_TRIGGER = Every(timedelta(minutes=10))
