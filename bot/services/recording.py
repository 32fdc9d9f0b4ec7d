"""Record a new SOP by doing it: steps from a thread, then a file to publish or download.

The recording's rows hold what the recorder posted; the file is rendered from them by
bot/core/recording.py whenever it is needed, under the id Finish chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.model import Sop
from bot.core.parse import parse_sop
from bot.core.recording import RecordedStep, render_sop, slug_for
from bot.db import recordings as store
from bot.db import sops as repo
from bot.db.models import Revision, SopRecord
from bot.db.recordings import Recording
from bot.services.authoring import PendingWrite
from bot.services.publish import Outcome, publish_new_sop

NOTE = "recorded in Slack"


class Refused(ValueError):
    """The recording cannot do that; the text says why and what to do."""


class IdTaken(Refused):
    """Publish found the id Finish chose taken meanwhile; `rename` picks a free one."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"An SOP with the id `{slug}` appeared since Finish.")
        self.slug = slug


DISCARDED = "That recording was discarded; nothing was changed."


@dataclass(frozen=True)
class Heard:
    """What a message in a recording thread did: `step` (recorded), `duplicate`, `other`."""

    kind: Literal["step", "duplicate", "other"]
    recording_id: int
    number: int = 0  # the step's number
    seconds: float = 0.0  # since the step before (or the start)
    tell: bool = False  # `other`: the person has not been told yet


@dataclass(frozen=True)
class Finished:
    """A finished recording: its file and the SOP it parses to."""

    recording_id: int
    user_id: str
    slug: str
    text: str
    sop: Sop


@dataclass(frozen=True)
class Published:
    """A recorded SOP published as v1; `pending.apply()` after the commit writes its file."""

    slug: str
    title: str
    recorder: str
    outcome: Outcome
    pending: PendingWrite
    finished: Finished


def start(
    session: Session, *, user_id: str, channel_id: str, thread_ts: str, title: str, now: datetime
) -> int:
    """Store a recording that lives in the thread of the bot's `thread_ts` message."""
    workspace = repo.default_workspace(session)
    recording = store.add_recording(
        session,
        workspace_id=workspace.id,
        user_id=user_id,
        channel_id=channel_id,
        thread_ts=thread_ts,
        title=title,
        now=now,
    )
    return recording.id


def takes_steps(session: Session, *, channel_id: str, thread_ts: str) -> bool:
    """Whether a recording takes steps in this thread (one indexed query)."""
    found = store.recording_in_thread(session, channel_id=channel_id, thread_ts=thread_ts)
    return found is not None


def recorder_of(session: Session, *, recording_id: int) -> str:
    """Who records it."""
    found = store.get_recording(session, recording_id=recording_id)
    assert found is not None
    return found.user_id


def hear(
    session: Session,
    *,
    channel_id: str,
    thread_ts: str,
    user_id: str,
    message_ts: str,
    text: str,
    now: datetime,
) -> Heard | None:
    """A message posted in a thread; None (nothing stored) unless a recording lives there.

    The recording's row is locked: two messages at once get numbers one after the other, and a
    person is told only once.
    """
    recording = store.recording_in_thread(
        session, channel_id=channel_id, thread_ts=thread_ts, lock=True
    )
    if recording is None:
        return None
    if user_id != recording.user_id:
        told = list(recording.told or [])
        if user_id not in told:
            recording.told = [*told, user_id]
        return Heard("other", recording.id, tell=user_id not in told)
    added = store.add_step(
        session, recording_id=recording.id, message_ts=message_ts, text=text, now=now
    )
    if not added:
        return Heard("duplicate", recording.id)
    steps = store.list_steps(session, recording_id=recording.id)
    number = next(i for i, s in enumerate(steps, start=1) if s.message_ts == message_ts)
    before = steps[number - 2].posted_at if number > 1 else recording.started_at
    return Heard("step", recording.id, number=number, seconds=(now - before).total_seconds())


def _own(session: Session, recording_id: int, user_id: str, *, lock: bool = False) -> Recording:
    recording = store.get_recording(session, recording_id=recording_id, lock=lock)
    if recording is None:
        raise Refused(DISCARDED)
    if recording.user_id != user_id:
        raise Refused("Only the person recording can do that.")
    if recording.published_revision_id is not None:
        raise Refused(
            f"This recording is published already (`{recording.slug}`); it stays as it is."
        )
    return recording


def undo(session: Session, *, recording_id: int, user_id: str) -> int:
    """Remove the last step; return its number."""
    recording = _own(session, recording_id, user_id, lock=True)
    if recording.finished_at is not None:
        raise Refused(
            "This recording is finished, so its steps stay as they are; nothing was undone."
        )
    steps = store.list_steps(session, recording_id=recording_id)
    if not steps:
        raise Refused("No step recorded yet.")
    store.remove_step(session, step_id=steps[-1].id)
    return len(steps)


def discard(session: Session, *, recording_id: int, user_id: str) -> str:
    """Forget the recording and its steps; return its title."""
    recording = _own(session, recording_id, user_id, lock=True)
    title = recording.title
    store.delete_recording(session, recording_id=recording_id)
    return title


def _recorded(session: Session, recording: Recording) -> list[RecordedStep]:
    steps = store.list_steps(session, recording_id=recording.id)
    times = [recording.started_at, *(s.posted_at for s in steps)]
    return [
        RecordedStep(text=s.text, seconds=(s.posted_at - before).total_seconds())
        for s, before in zip(steps, times, strict=False)
    ]


def _taken(session: Session, *, directory: Path, recording_id: int) -> set[str]:
    """Ids an SOP has (published, retired, a file in SOPS_DIR, another finished recording)."""
    taken = set(session.scalars(select(SopRecord.slug)))
    taken |= {p.stem for p in directory.rglob("*.md")} if directory.is_dir() else set()
    others = select(Recording.slug).where(
        Recording.id != recording_id,
        Recording.slug.is_not(None),
        Recording.published_revision_id.is_(None),
    )
    return taken | {s for s in session.scalars(others) if s}


def finish(
    session: Session, *, recording_id: int, user_id: str, directory: Path, now: datetime
) -> Finished:
    """Stop taking steps and render the SOP file under an id no other SOP has."""
    recording = _own(session, recording_id, user_id, lock=True)
    if recording.finished_at is not None:
        raise Refused(
            "This recording is finished already: its SOP is in the thread, with Publish and "
            "Download Markdown."
        )
    if not store.list_steps(session, recording_id=recording_id):
        raise Refused("Post at least one step in the thread first.")
    recording.slug = slug_for(
        recording.title, _taken(session, directory=directory, recording_id=recording_id)
    )
    recording.finished_at = now
    return _rendered(session, recording)


def rename(session: Session, *, recording_id: int, directory: Path) -> Finished:
    """Give a finished, unpublished recording an id no SOP has (after `IdTaken`)."""
    recording = _publishable(session, recording_id)
    taken = _taken(session, directory=directory, recording_id=recording_id)
    recording.slug = slug_for(recording.title, taken)
    return _rendered(session, recording)


def _rendered(session: Session, recording: Recording) -> Finished:
    assert recording.slug is not None
    text = render_sop(
        title=recording.title,
        slug=recording.slug,
        owner=recording.user_id,
        steps=_recorded(session, recording),
    )
    sop, errors = parse_sop(text, path=f"{recording.slug}.md", default_slug=recording.slug)
    if errors or sop is None:  # the renderer's tests say this cannot happen; never publish it
        raise Refused("The recording does not make a valid SOP: " + errors[0].message)
    return Finished(recording.id, recording.user_id, recording.slug, text, sop)


def rendered(session: Session, *, recording_id: int) -> Finished:
    """The finished recording's file, as Finish showed it."""
    recording = store.get_recording(session, recording_id=recording_id)
    if recording is None:
        raise Refused(DISCARDED)
    if recording.slug is None:
        raise Refused("That recording is not finished yet: press Finish first.")
    return _rendered(session, recording)


def _publishable(session: Session, recording_id: int) -> Recording:
    """The finished recording, locked, unless it was discarded or published already."""
    recording = store.get_recording(session, recording_id=recording_id, lock=True)
    if recording is None:
        raise Refused("That recording was discarded; nothing was published.")
    if recording.slug is None:
        raise Refused("That recording is not finished yet: press Finish first.")
    if recording.published_revision_id is not None:
        number = session.get(Revision, recording.published_revision_id)
        raise Refused(
            f"Already published (`{recording.slug}` v{number.number if number else 1}); "
            "nothing was changed."
        )
    return recording


def publish(
    session: Session, *, recording_id: int, publisher: str, directory: Path, now: datetime
) -> Published:
    """Publish the finished recording as v1 of a new SOP; the caller commits, then applies."""
    recording = _publishable(session, recording_id)
    slug = recording.slug
    assert slug is not None
    path = directory / f"{slug}.md"
    taken = _taken(session, directory=directory, recording_id=recording_id)
    if slug in taken or path.exists():
        raise IdTaken(slug)
    finished = _rendered(session, recording)
    try:
        pending = PendingWrite.stage(path, finished.text, new_file=True)
    except OSError as exc:
        raise Refused(
            f"sopbot cannot write to SOPS_DIR ({exc.strerror}); nothing was published. Ask "
            "whoever runs sopbot to make the folder writable, or use Download Markdown."
        ) from exc
    try:
        outcome = publish_new_sop(
            session, sop=finished.sop, source=finished.text, now=now, editor=publisher, note=NOTE
        )
        recording.published_revision_id = outcome.revision_id
    except BaseException:
        pending.discard()
        raise
    return Published(slug, finished.sop.title, recording.user_id, outcome, pending, finished)


def file_written(session: Session, *, slug: str, now: datetime) -> None:
    """Remember that the published recording's file is on disk (start-up recovery skips it)."""
    recording = session.scalars(
        select(Recording).where(Recording.slug == slug, Recording.file_written_at.is_(None))
    ).first()
    if recording is not None:
        recording.file_written_at = now
