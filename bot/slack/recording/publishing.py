"""Publish a finished recording: v1, its file, its commit, and the thread told what it became."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services import recording
from bot.services.recording import IdTaken, Refused
from bot.slack.authz import manages_every_sop
from bot.slack.commits import PublishedFile, commit
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.kit.blocks import mention
from bot.slack.recording import blocks


@dataclass(frozen=True)
class Thread:
    """Where a button was pressed: the recording's thread, and the message holding the button."""

    channel: str
    ts: str
    message_ts: str | None = None


class Publisher:
    """The Publish button of a finished recording."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx, self.runtime = ctx, ctx.runtime

    def publish(self, *, recording_id: int, user_id: str, thread: Thread, respond: Respond) -> None:
        """Publish (managers and admins): v1 published, the file written and committed."""
        if not manages_every_sop(self.ctx, user_id):
            reply(respond, blocks.publish_refused(self.runtime.settings.manager_channel))
            return
        try:
            done = self._publish(recording_id, user_id)
        except IdTaken as exc:
            self._rename(recording_id, thread, taken=exc.slug, respond=respond)
            return
        except Refused as exc:
            reply(respond, blocks.refused(str(exc)))
            return
        number, revision_id = done.outcome.new_number, done.outcome.revision_id
        assert number is not None and revision_id is not None
        # Git before Slack: a failed message must not leave the file uncommitted. A press in
        # between is refused (published already).
        failed = commit(
            self.ctx,
            PublishedFile(
                path=done.pending.path,
                slug=done.slug,
                title=done.title,
                number=number,
                revision_id=revision_id,
                what="record new SOP",
                note=done.title,
                author=done.recorder,
                actor=user_id,
            ),
        )
        self._show(done, number=number, publisher=user_id, thread=thread)
        self.ctx.client.chat_postMessage(
            channel=thread.channel,
            thread_ts=thread.ts,
            **blocks.published(title=done.title, slug=done.slug, number=number, git=failed),
        )

    def _publish(self, recording_id: int, user_id: str) -> recording.Published:
        """v1 committed to the database, then its file put in place (a crash between is
        finished at start-up)."""
        pending = None
        try:
            with self.runtime.database.session() as session:
                done = recording.publish(
                    session,
                    recording_id=recording_id,
                    publisher=user_id,
                    directory=self.runtime.settings.sops_dir,
                    now=self.runtime.clock(),
                )
                pending = done.pending
        except BaseException:
            if pending is not None:
                pending.discard()
            raise
        done.pending.apply()
        with self.runtime.database.session() as session:
            recording.file_written(session, slug=done.slug, now=self.runtime.clock())
        return done

    def _show(
        self, done: recording.Published, *, number: int, publisher: str, thread: Thread
    ) -> None:
        """The parent says what it became; the finished SOP loses Publish (Download stays)."""
        parent = blocks.published_parent(
            title=done.title, slug=done.slug, number=number, publisher=publisher
        )
        self.ctx.client.chat_update(channel=thread.channel, ts=thread.ts, **parent)
        if thread.message_ts and thread.message_ts != thread.ts:
            line = f"✅ Published as v{number} by {mention(publisher)}"
            shown = blocks.finished(done.finished, published=line)
            self.ctx.client.chat_update(channel=thread.channel, ts=thread.message_ts, **shown)

    def _rename(self, recording_id: int, thread: Thread, *, taken: str, respond: Respond) -> None:
        """The id Finish chose was taken meanwhile: a free one, shown where Publish was."""
        try:
            with self.runtime.database.session() as session:
                done = recording.rename(
                    session, recording_id=recording_id, directory=self.runtime.settings.sops_dir
                )
        except Refused as exc:
            reply(respond, blocks.refused(str(exc)))
            return
        if thread.message_ts:
            self.ctx.client.chat_update(
                channel=thread.channel, ts=thread.message_ts, **blocks.finished(done)
            )
        reply(respond, blocks.renamed(taken=taken, slug=done.slug))
