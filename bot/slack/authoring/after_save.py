"""After an edit is published: commit (and push) the file, and assign training when material."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.db import outbox
from bot.db.models import Revision
from bot.services.audience import Resolver
from bot.services.authoring import Change, Saved
from bot.services.sops_git import Author, SopsGit, commit_message
from bot.services.training import assign
from bot.slack.authoring import blocks
from bot.slack.context import SlackContext
from bot.slack.people import SlackDirectory

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
        git = SopsGit(self.directory)
        if git.root() is None:
            return
        try:
            git.commit(
                paths=[saved.pending.path],
                message=commit_message(slug=saved.slug, what=saved.what, note=change.note),
                author=self._author(change.editor),
            )
        except Exception as exc:  # noqa: BLE001 - told to the editor and the admins
            self._tell_git_failure(saved, change, f"commit failed: {exc}")
            return
        if self.runtime.settings.sops_git_push:
            pushed = git.push()
            if pushed.status == "failed":
                self._tell_git_failure(saved, change, f"push failed: {pushed.detail}")

    def _author(self, user_id: str | None) -> Author:
        """users.info's display name and e-mail; the user ID when Slack does not say."""
        user: dict[str, Any] | None = None
        if user_id:
            try:
                user = self.ctx.people.user(user_id)
            except SlackApiError as exc:
                log.warning("users.info failed for the git author (%s)", exc.response.get("error"))
        profile = (user or {}).get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or (user or {}).get("name")
        email = profile.get("email") or f"{user_id or 'sopbot'}@users.noreply.slack.com"
        return Author(name=str(name or user_id or "sopbot"), email=str(email))

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
