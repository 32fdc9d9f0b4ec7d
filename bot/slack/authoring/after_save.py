"""After an edit is published: commit (and push) the file, and assign training when material."""

from __future__ import annotations

import logging
from pathlib import Path

from slack_sdk.errors import SlackApiError

from bot.db import outbox
from bot.db.models import Revision
from bot.services.audience import Resolver
from bot.services.authoring import Change, Saved
from bot.services.sops_git import commit_and_push, commit_message
from bot.services.training import assign
from bot.slack.authoring import blocks
from bot.slack.context import SlackContext
from bot.slack.people import SlackDirectory, git_author

log = logging.getLogger(__name__)


class AfterSave:
    """Off the ack path: what follows a published edit."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx, self.runtime = ctx, ctx.runtime

    @property
    def directory(self) -> Path:
        """SOPS_DIR."""
        return self.runtime.settings.sops_dir

    def run(self, saved: Saved, change: Change) -> None:
        """Off the ack path: commit (and push) the file, assign training when material."""
        self._commit(saved, change)
        outcome = saved.outcome
        if outcome.diff is not None and outcome.diff.material and outcome.revision_id:
            self._assign(outcome.revision_id)

    def _commit(self, saved: Saved, change: Change) -> None:
        failed = commit_and_push(
            self.directory,
            paths=[saved.pending.path],
            message=commit_message(slug=saved.slug, what=saved.what, note=change.note),
            author=git_author(self.ctx.people, change.editor),
            push=self.runtime.settings.sops_git_push,
        )
        if failed:
            self._tell_git_failure(saved, change, failed)

    def _tell_git_failure(self, saved: Saved, change: Change, why: str) -> None:
        log.warning("git for %s v%s: %s", saved.slug, saved.outcome.new_number, why)
        people = set(self.runtime.settings.admins) | ({change.editor} if change.editor else set())
        text = blocks.git_failure(saved, why=why)
        with self.runtime.database.session() as session:
            revision = session.get(Revision, saved.outcome.revision_id)
            assert revision is not None
            workspace_id = revision.sop.workspace_id
            for person in sorted(people):
                outbox.enqueue(
                    session,
                    key=f"git:{saved.slug}:v{saved.outcome.new_number}:{person}",
                    workspace_id=workspace_id,
                    user_id=person,
                    text=text,
                    now=self.runtime.clock(),
                )

    def _assign(self, revision_id: int) -> None:
        """Training as after any material publish (the daily pass would catch up otherwise)."""
        if not self.runtime.settings.slack_bot_token:
            return
        with self.runtime.database.session() as session:
            revision = session.get(Revision, revision_id)
            assert revision is not None
            audience_refs, owner_ref = revision.content.get("audience", []), revision.sop.owner
        resolver = Resolver(SlackDirectory(self.ctx.client))
        try:
            audience = resolver.resolve(audience_refs)
            owner = resolver.person(owner_ref) if owner_ref else None
        except SlackApiError as exc:
            log.warning("training not assigned now (%s); the daily pass will", exc)
            return
        with self.runtime.database.session() as session:
            revision = session.get(Revision, revision_id)
            assert revision is not None
            assign(
                session,
                record=revision.sop,
                revision=revision,
                audience=audience,
                owner=owner,
                now=self.runtime.clock(),
                render=self.ctx.renderers.training,
            )
