"""SOPS_GIT_PULL_EVERY: fast-forward SOPS_DIR from its upstream and publish what changed.

Every process runs the job each minute; one process per interval acts, whichever claims the
interval first (a row in processed_events, as Events API deliveries are claimed). A dirty work
tree or a history that is not a fast-forward is reported to the admins, never overwritten.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.db import outbox
from bot.db import sops as repo
from bot.db.events import claim_event
from bot.jobs.cast import refresh_cast
from bot.jobs.context import JobContext
from bot.jobs.training import assign_training
from bot.jobs.triggers import Every
from bot.services.publish import publish_directory
from bot.services.sops_git import SopsGit

log = logging.getLogger(__name__)
SYNC_TRIGGER = Every(timedelta(minutes=1))


def sync_job(job: JobContext) -> str:
    """Pull and publish once per SOPS_GIT_PULL_EVERY across processes; what it did, in a word."""
    runtime = job.runtime
    every = runtime.settings.sops_git_pull_every_seconds
    if not every:
        return "off"
    now = runtime.clock()
    window = int(now.timestamp()) // every * every
    with runtime.database.session() as session:
        if not claim_event(session, event_id=f"git-sync:{window}", now=now):
            return "taken"
    directory = runtime.settings.sops_dir
    git = SopsGit(directory)
    if git.root() is None:
        log.warning(
            "SOPS_GIT_PULL_EVERY is set but SOPS_DIR %s is not in a git work tree", directory
        )
        return "not-git"
    pulled = git.pull()
    if pulled.status == "refused":
        _tell_admins(job, window=window, why=pulled.detail)
        return "refused"
    if pulled.status == "unchanged":
        return "unchanged"
    with runtime.database.session() as session:
        report = publish_directory(
            session, directory=directory, now=runtime.clock(), renderers=job.renderers.feedback
        )
    for error in report.errors:
        log.error("pulled but not published: %s", error)
    if report.errors:
        _tell_admins(
            job, window=window, why=f"the pulled SOPs have errors, e.g. {report.errors[0]}"
        )
        return "invalid"
    if report.new_revisions:  # like `sopbot sops publish`: the cast at once, not a day later
        refresh_cast(job, slugs={o.slug for o in report.new_revisions})
    material = {o.slug for o in report.new_revisions if o.diff is not None and o.diff.material}
    if material:
        assign_training(job, slugs=material)
    log.info("git sync: published %d new revision(s)", len(report.new_revisions))
    return "updated"


def _tell_admins(job: JobContext, *, window: int, why: str) -> None:
    log.warning("git sync of SOPS_DIR refused: %s", why)
    text = (
        f"⚠️ sopbot could not update SOPS_DIR from git: {why}. Nothing was overwritten; "
        "fix the work tree (commit or discard local changes, or merge by hand)."
    )
    runtime = job.runtime
    with runtime.database.session() as session:
        workspace = repo.default_workspace(session)
        for admin in sorted(runtime.settings.admins):
            outbox.enqueue(
                session,
                key=f"git-sync:{window}:{admin}",
                workspace_id=workspace.id,
                user_id=admin,
                text=text[:3000],
                now=runtime.clock(),
            )
