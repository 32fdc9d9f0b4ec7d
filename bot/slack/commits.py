"""A file published from Slack goes into git; when git does not take it, the admins hear of it.

Edits (authoring) and recorded SOPs (recording) share this path, so both commit the same way
and both DM the same people through the outbox.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from bot.core.mrkdwn import escape
from bot.db import outbox
from bot.db.models import Revision
from bot.services.sops_git import commit_and_push, commit_message
from bot.slack.context import SlackContext
from bot.slack.kit.limits import truncate
from bot.slack.people import git_author

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedFile:
    """A revision published from Slack whose file is in place and now goes into git."""

    path: Path
    slug: str
    title: str
    number: int
    revision_id: int
    what: str  # the commit's verb phrase: `edit step 3`, `record new SOP`
    note: str  # why, as the person gave it: the commit message's tail
    author: str | None  # whose change it is (the commit's author)
    actor: str | None  # who published it from Slack (told with the admins)


def git_failure(*, title: str, number: int, why: str) -> str:
    """The DM to the person who published and the admins when git did not take it (plain)."""
    return (
        f"⚠️ v{number} of {escape(title)} is published, but git did not take it: "
        f"{escape(truncate(why, 500))}. The file in SOPS_DIR has the change; the next edit or "
        "sync tries again, or commit it by hand. Nothing was force-pushed."
    )


def commit(ctx: SlackContext, published: PublishedFile) -> str | None:
    """Commit (and push) the file; on failure queue the DMs and return what git said."""
    settings = ctx.runtime.settings
    failed = commit_and_push(
        settings.sops_dir,
        paths=[published.path],
        message=commit_message(slug=published.slug, what=published.what, note=published.note),
        author=git_author(ctx.people, published.author),
        push=settings.sops_git_push,
    )
    if failed:
        log.warning("git for %s v%s: %s", published.slug, published.number, failed)
        _tell(ctx, published, why=failed)
    return failed


def _tell(ctx: SlackContext, published: PublishedFile, *, why: str) -> None:
    """One DM per admin and the publisher; the key makes a retried job queue each once."""
    runtime = ctx.runtime
    people = set(runtime.settings.admins) | ({published.actor} if published.actor else set())
    text = git_failure(title=published.title, number=published.number, why=why)
    with runtime.database.session() as session:
        revision = session.get(Revision, published.revision_id)
        assert revision is not None
        workspace_id = revision.sop.workspace_id
        for person in sorted(people):
            outbox.enqueue(
                session,
                key=f"git:{published.slug}:v{published.number}:{person}",
                workspace_id=workspace_id,
                user_id=person,
                text=text,
                now=runtime.clock(),
            )
