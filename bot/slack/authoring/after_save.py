"""After an edit is published: commit (and push) the file, and assign training when material."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.db.models import Revision
from bot.services.audience import Resolver
from bot.services.authoring import Change, Saved
from bot.services.training import assign
from bot.slack.commits import PublishedFile, commit
from bot.slack.context import SlackContext
from bot.slack.people import SlackDirectory

log = logging.getLogger(__name__)


class AfterSave:
    """Off the ack path: what follows a published edit."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx, self.runtime = ctx, ctx.runtime

    def run(self, saved: Saved, change: Change) -> None:
        """Off the ack path: commit (and push) the file, assign training when material."""
        self._commit(saved, change)
        outcome = saved.outcome
        if outcome.diff is not None and outcome.diff.material and outcome.revision_id:
            self._assign(outcome.revision_id)

    def _commit(self, saved: Saved, change: Change) -> None:
        assert saved.outcome.new_number is not None and saved.outcome.revision_id is not None
        published = PublishedFile(
            path=saved.pending.path,
            slug=saved.slug,
            title=saved.title,
            number=saved.outcome.new_number,
            revision_id=saved.outcome.revision_id,
            what=saved.what,
            note=change.note,
            author=change.editor,
            actor=change.editor,
        )
        commit(self.ctx, published)

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
