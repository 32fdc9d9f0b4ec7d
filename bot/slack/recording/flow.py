"""Recording a new SOP in a thread: start, hear steps, undo, discard, finish, publish, download."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.core.parse import MAX_TITLE
from bot.core.recording import one_line
from bot.services import recording
from bot.services.recording import Refused
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.recording import blocks
from bot.slack.recording.publishing import Thread

T = TypeVar("T")

log = logging.getLogger(__name__)
HISTORY_SCOPES = ("channels:history", "groups:history", "im:history")
CHANNEL_TYPES = frozenset({"channel", "group", "im"})
# A reply also sent to the channel, or one with a file, is still a person's new message;
# edits, deletions, joins and bots' messages (every other subtype) are not steps.
STEP_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


def candidate(event: dict[str, Any]) -> tuple[str, str] | None:
    """(channel, thread ts) of a person's new message in a thread; None for anything else.

    In-process and cheap: top-level messages, edits and deletions (subtypes), bots' messages
    and other conversation kinds never reach the database.
    """
    if event.get("type") != "message" or event.get("bot_id"):
        return None
    if event.get("subtype") not in STEP_SUBTYPES:
        return None
    thread_ts, ts, channel = event.get("thread_ts"), event.get("ts"), event.get("channel")
    if event.get("channel_type") not in CHANNEL_TYPES or not event.get("user"):
        return None
    if not (thread_ts and ts and channel) or thread_ts == ts:
        return None
    return str(channel), str(thread_ts)


def missing_scopes(client: WebClient) -> list[str]:
    """History scopes the token lacks, from auth.test's `x-oauth-scopes` header.

    Asked each time (a reinstall adds scopes to the same token); a Slack that sends no header
    is taken at its word that the app was set up from the manifests.
    """
    answer = client.auth_test()
    headers = {k.lower(): v for k, v in (answer.headers or {}).items()}
    granted = headers.get("x-oauth-scopes")
    if granted is None:
        return []
    have = {s.strip() for s in str(granted).split(",")}
    return [scope for scope in HISTORY_SCOPES if scope not in have]


class Recorder:
    """One method per thing a person does with a recording."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx, self.runtime = ctx, ctx.runtime

    def _post(self, thread: Thread, message: dict[str, Any]) -> None:
        self.ctx.client.chat_postMessage(channel=thread.channel, thread_ts=thread.ts, **message)

    def command(self, *, user_id: str, channel_id: str, text: str, respond: Respond) -> None:
        """`/sop record TITLE`: post the thread's parent, then store the recording."""
        title = one_line(text)
        if not title:
            reply(respond, blocks.usage())
            return
        if len(title) > MAX_TITLE:
            reply(respond, blocks.too_long(MAX_TITLE))
            return
        missing = missing_scopes(self.ctx.client)
        if missing:
            reply(respond, blocks.missing_scopes(missing))
            return
        if not self._hears(channel_id):
            reply(respond, blocks.cannot_post())
            return
        try:
            posted = self.ctx.client.chat_postMessage(
                channel=channel_id, **blocks.started(title=title, recording_id=0)
            )
        except SlackApiError as exc:
            log.info("cannot post a recording in %s: %s", channel_id, exc.response.get("error"))
            reply(respond, blocks.cannot_post())
            return
        channel, ts = str(posted["channel"]), str(posted["ts"])
        with self.runtime.database.session() as session:
            recording_id = recording.start(
                session,
                user_id=user_id,
                channel_id=channel,
                thread_ts=ts,
                title=title,
                now=self.runtime.clock(),
            )
        # The buttons carry the recording's ID, known only now.
        message = blocks.started(title=title, recording_id=recording_id)
        self.ctx.client.chat_update(channel=channel, ts=ts, **message)

    def _hears(self, channel_id: str) -> bool:
        """Whether Slack sends sopbot this conversation's messages: a channel it is a member of
        (chat:write.public would let it post in others, but no step would ever arrive)."""
        if channel_id.startswith("D"):
            return True  # its own DM; a DM between people fails the post below
        try:
            info = self.ctx.client.conversations_info(channel=channel_id)
        except SlackApiError as exc:
            log.info("cannot see %s for a recording: %s", channel_id, exc.response.get("error"))
            return False
        return bool((info.get("channel") or {}).get("is_member"))

    def in_recording(self, event: dict[str, Any]) -> bool:
        """Whether a message event could be a step: the shape first, then one indexed query."""
        where = candidate(event)
        if where is None:
            return False
        with self.runtime.database.session() as session:
            return recording.takes_steps(session, channel_id=where[0], thread_ts=where[1])

    def heard(self, event: dict[str, Any]) -> None:
        """A message in a recording thread: the next step, or someone else told once."""
        where = candidate(event)
        if where is None:
            return
        thread = Thread(*where)
        with self.runtime.database.session() as session:
            heard = recording.hear(
                session,
                channel_id=thread.channel,
                thread_ts=thread.ts,
                user_id=str(event["user"]),
                message_ts=str(event["ts"]),
                text=str(event.get("text") or ""),
                now=self.runtime.clock(),
            )
        if heard is None or heard.kind == "duplicate":
            return
        if heard.kind == "step":
            self._post(thread, blocks.step_recorded(number=heard.number, seconds=heard.seconds))
        elif heard.tell:
            with self.runtime.database.session() as session:
                found = recording.recorder_of(session, recording_id=heard.recording_id)
            self.ctx.client.chat_postEphemeral(
                channel=thread.channel,
                user=str(event["user"]),
                thread_ts=thread.ts,
                **blocks.not_recorder(found),
            )

    def _refusable(self, respond: Respond, work: Callable[[Session], T]) -> T | None:
        """`work` in one session; a refusal is told to the presser and gives None."""
        try:
            with self.runtime.database.session() as session:
                return work(session)
        except Refused as exc:
            reply(respond, blocks.refused(str(exc)))
            return None

    def undo(self, *, recording_id: int, user_id: str, thread: Thread, respond: Respond) -> None:
        """Undo last step."""
        number = self._refusable(
            respond, lambda s: recording.undo(s, recording_id=recording_id, user_id=user_id)
        )
        if number is not None:
            self._post(thread, blocks.undone(number))

    def discard(self, *, recording_id: int, user_id: str, thread: Thread, respond: Respond) -> None:
        """Discard (after Slack's confirm dialog)."""
        title = self._refusable(
            respond, lambda s: recording.discard(s, recording_id=recording_id, user_id=user_id)
        )
        if title is None:
            return
        # The parent loses its buttons: nothing is left to undo, finish or discard.
        self.ctx.client.chat_update(channel=thread.channel, ts=thread.ts, **blocks.discarded(title))

    def finish(self, *, recording_id: int, user_id: str, thread: Thread, respond: Respond) -> None:
        """Finish: the SOP shown as a run shows steps, with Publish; the parent says so."""
        done = self._refusable(
            respond,
            lambda s: recording.finish(
                s,
                recording_id=recording_id,
                user_id=user_id,
                directory=self.runtime.settings.sops_dir,
                now=self.runtime.clock(),
            ),
        )
        if done is None:
            return
        self._post(thread, blocks.finished(done))
        # Undo and Finish no longer apply: the parent keeps only Discard (a stale press of the
        # others is refused by the service).
        self.ctx.client.chat_update(
            channel=thread.channel, ts=thread.ts, **blocks.finished_parent(done)
        )

    def download(self, *, recording_id: int, thread: Thread, respond: Respond) -> None:
        """Download Markdown: the .md file uploaded to the thread."""
        try:
            with self.runtime.database.session() as session:
                done = recording.rendered(session, recording_id=recording_id)
        except Refused as exc:
            reply(respond, blocks.refused(str(exc)))
            return
        self.ctx.client.files_upload_v2(
            channel=thread.channel,
            thread_ts=thread.ts,
            content=done.text.encode("utf-8"),
            filename=f"{done.slug}.md",
            title=f"{done.slug}.md",
            initial_comment=f"{done.slug}.md: put it in SOPS_DIR, or press Publish.",
        )
