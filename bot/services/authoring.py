"""Change an SOP file from Slack: lock, refuse conflicts, check, publish, then write the file.

The revision row and the file change together: the new text goes to a hidden temporary file
beside the SOP, which replaces the file only after the revision commits (`PendingWrite.apply`).
If the process dies in between, `recover` (run at start-up) finishes the rename from the
revision's stored source. Edits of one SOP are serialized across processes by a database lock
on its row (SELECT ... FOR UPDATE on PostgreSQL; SQLite takes its write lock at BEGIN).
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import edit as markdown
from bot.core.diff import content_fingerprint
from bot.core.edit import StepDraft
from bot.core.model import Sop
from bot.core.mrkdwn import escape
from bot.core.parse import MAX_TITLE, parse_sop
from bot.db import outbox, recordings
from bot.db import sops as repo
from bot.db.models import SopRecord
from bot.services.feedback import FeedbackRenderers
from bot.services.feedback_handling import link_feedback
from bot.services.publish import NextRevision, Outcome, publish_revisions

log = logging.getLogger(__name__)

Kind = Literal["edit", "add", "remove"]
WHAT = {"edit": "edit step {n}", "add": "add a step after step {n}", "remove": "remove step {n}"}


def digest(text: str) -> str:
    """What the editor remembers of the file it opened (to spot a change since)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Base:
    """The SOP as the editor saw it when the modal opened."""

    revision: int
    file_digest: str


@dataclass(frozen=True)
class Opened:
    """What the editor modal shows: the step as written, the SOP's roles, what it was based on."""

    slug: str
    title: str
    step: int
    steps: tuple[str, ...]
    draft: StepDraft
    roles: tuple[str, ...]
    material_by_default: bool
    base: Base


@dataclass(frozen=True)
class Change:
    """One change to one step: `step` is the step edited or removed, or the one to add after."""

    kind: Kind
    step: int
    draft: StepDraft | None
    material: bool | None  # None: as the publish rule decides (retrain:, what changed)
    note: str = ""
    editor: str | None = None
    credit: str | None = None  # whose suggested wording it is (None when anonymous)
    feedback_id: int | None = None  # the suggestion accepted, or the feedback it came from


@dataclass(frozen=True)
class Conflict:
    """The SOP changed since the editor opened it."""

    number: int
    editor: str | None


@dataclass(frozen=True)
class Invalid:
    """Field -> what to fix (fields: title, role, body)."""

    problems: dict[str, str]


@dataclass
class PendingWrite:
    """The new file text, in a temporary file until the revision is committed.

    `new_file`: the file must not exist yet (a recorded SOP); a file that appeared meanwhile is
    never replaced (`apply` raises FileExistsError).
    """

    path: Path
    temp: Path
    new_file: bool = False

    @classmethod
    def stage(cls, path: Path, text: str, *, new_file: bool = False) -> PendingWrite:
        """Write `text` to a hidden temporary file beside `path` (OSError when it cannot)."""
        temp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
        temp.write_bytes(text.encode("utf-8"))
        return cls(path=path, temp=temp, new_file=new_file)

    def apply(self) -> None:
        """Put the new text in place (an atomic rename); call after the commit."""
        if self.new_file:
            os.link(self.temp, self.path)  # fails, leaving the file alone, when it exists
            self.temp.unlink()
            return
        os.replace(self.temp, self.path)

    def discard(self) -> None:
        """Forget the new text (the revision was not committed)."""
        self.temp.unlink(missing_ok=True)


@dataclass(frozen=True)
class Saved:
    """What the save published."""

    slug: str
    title: str
    path: str
    outcome: Outcome
    step: int  # the step's number in the new revision (the one before it when removed)
    what: str
    pending: PendingWrite = field(compare=False)
    lines: tuple[str, ...] = ()  # the file's changed lines, `- old` / `+ new`


class Refused(ValueError):
    """The SOP or step cannot be edited from Slack; the text says why and what to do."""


def _file(directory: Path, record: SopRecord) -> Path:
    path = (directory / record.path).resolve()
    if not record.path or directory.resolve() not in path.parents:
        raise Refused(f"the file of {record.title} is not in SOPS_DIR; edit it there")
    return path


def read_file(directory: Path, record: SopRecord) -> str:
    """The SOP's file as it is on disk now."""
    path = _file(directory, record)
    if not path.is_file():
        raise Refused(f"{record.path} is not in SOPS_DIR any more")
    return path.read_bytes().decode("utf-8")


def open_step(session: Session, *, directory: Path, record: SopRecord, step: int | None) -> Opened:
    """The step as written in the file now (step 1 when `step` is None), for the editor."""
    current = record.current_revision
    if current is None:
        raise Refused(f"{record.title} has no published revision yet")
    text = read_file(directory, record)
    try:
        count = markdown.step_count(text)
        number = min(max(step or 1, 1), count)
        draft = markdown.step_draft(text, number)
    except markdown.NotEditable as exc:
        raise Refused(str(exc)) from exc
    if len(draft.body) > markdown.MAX_BODY:
        # The modal holds 3,000 characters: a longer step would come back cut short.
        raise Refused(
            f"step {number} is {len(draft.body):,} characters, more than the editor holds "
            f"({markdown.MAX_BODY:,}); edit it in the file"
        )
    sop = Sop.from_dict(current.content)
    return Opened(
        slug=record.slug,
        title=record.title,
        step=number,
        steps=tuple(s.title for s in sop.steps),
        draft=draft,
        roles=tuple(r.name for r in sop.roles),
        material_by_default=sop.retrain != "never",
        base=Base(revision=current.number, file_digest=digest(text)),
    )


def lock(session: Session, *, record_id: int) -> SopRecord:
    """Hold the SOP's row until the transaction ends: one edit of an SOP at a time."""
    record = session.scalars(
        select(SopRecord).where(SopRecord.id == record_id).with_for_update()
    ).one()
    session.refresh(record)  # what the edit that held the lock before committed
    return record


def save(
    session: Session,
    *,
    directory: Path,
    record_id: int,
    change: Change,
    base: Base,
    now: datetime,
    renderers: FeedbackRenderers,
) -> Saved | Conflict | Invalid:
    """Check and publish `change`; the caller commits, then calls `saved.pending.apply()`."""
    record = lock(session, record_id=record_id)
    current = record.current_revision
    assert current is not None
    text = read_file(directory, record)
    if current.number != base.revision or digest(text) != base.file_digest:
        return Conflict(number=current.number, editor=current.editor)
    problems = _problems(change)
    if problems:
        return Invalid(problems)
    try:
        new_text, expected = _apply(text, change)
    except markdown.NotEditable as exc:
        return Invalid({"body": str(exc)})
    path = _file(directory, record)
    sop, errors = parse_sop(new_text, path=record.path, default_slug=path.stem)
    if errors or sop is None:
        return Invalid(_field_problems(errors, new_text, change))
    if len(sop.steps) != expected:
        return Invalid(
            {
                "body": "a line starting with `#` would start a new step or section; "
                "indent it or remove the #"
            }
        )
    if sop.slug != record.slug:
        return Invalid({"body": "the change would give the SOP another id; edit the file"})
    if new_text == text or content_fingerprint(sop) == current.fingerprint:
        return Invalid({"body": "Nothing the SOP shows would change; edit the step, or Cancel."})
    # The new text goes to disk before anything is published: a folder sopbot may not write
    # to refuses the edit with nothing changed.
    try:
        pending = PendingWrite.stage(path, new_text)
    except OSError as exc:
        log.warning("cannot write beside %s: %s", record.path, exc)
        return Invalid(
            {
                "body": f"sopbot cannot write to SOPS_DIR ({exc.strerror}); nothing "
                "was saved. Ask whoever runs sopbot to make the folder writable."
            }
        )
    try:
        revision = NextRevision(
            record,
            sop,
            new_text,
            material=change.material,  # the editor's checkbox, when ticked either way
            editor=change.editor,
            note=change.note.strip() or None,
            credit=change.credit,
        )
        (outcome,) = publish_revisions(session, [revision], now=now)
        told = change.feedback_id if change.credit else None
        link_feedback(session, outcomes=[outcome], now=now, render=renderers, told_elsewhere=told)
        if change.credit and change.feedback_id is not None:
            _thank_author(session, change=change, record=record, outcome=outcome, now=now)
    except BaseException:
        pending.discard()
        raise
    step = {"edit": change.step, "add": change.step + 1, "remove": max(change.step - 1, 1)}
    return Saved(
        slug=record.slug,
        title=record.title,
        path=record.path,
        outcome=outcome,
        step=step[change.kind],
        what=WHAT[change.kind].format(n=change.step),
        pending=pending,
        lines=tuple(markdown.line_diff(text, new_text)),
    )


def _thank_author(
    session: Session, *, change: Change, record: SopRecord, outcome: Outcome, now: datetime
) -> None:
    """Tell the author of an accepted suggestion where their wording went."""
    assert change.credit is not None
    line = (
        f"✏️ Your wording is now step {change.step} of {escape(record.title)}, "
        f"v{outcome.new_number}. Thank you!"
    )
    outbox.enqueue(
        session,
        key=f"feedback:{change.feedback_id}:accepted:{outcome.new_number}",
        workspace_id=record.workspace_id,
        user_id=change.credit,
        text=line,
        now=now,
    )


def _problems(change: Change) -> dict[str, str]:
    draft = change.draft
    if change.kind == "remove" or draft is None:
        return {}
    problems = {}
    if not markdown.one_line(draft.title):
        problems["title"] = "Give the step a title."
    elif len(markdown.one_line(draft.title)) > MAX_TITLE:
        problems["title"] = f"Keep the title to {MAX_TITLE} characters; move the rest below."
    if len(draft.body) > markdown.MAX_BODY:
        problems["body"] = f"Keep it to {markdown.MAX_BODY:,} characters."
    return problems


def _apply(text: str, change: Change) -> tuple[str, int]:
    """The new file text and how many steps it must have."""
    count = markdown.step_count(text)
    if change.kind == "remove":
        return markdown.remove_step(text, change.step), count - 1
    assert change.draft is not None
    if change.kind == "add":
        return markdown.insert_step(text, change.step, change.draft), count + 1
    return markdown.replace_step(text, change.step, change.draft), count


def _field_problems(errors: list, text: str, change: Change) -> dict[str, str]:
    """Errors of the new file under the field they concern (the step's text by default)."""
    problems: dict[str, str] = {}
    for error in errors:
        message = error.message
        field_name = "body"
        if "title" in message and "step" in message:
            field_name = "title"
        elif "role" in message.lower():
            field_name = "role"
        problems.setdefault(field_name, message[:1].upper() + message[1:] + ".")
    return problems or {"body": "The SOP would not pass `sopbot sops check`."}


def recover(session: Session, *, directory: Path) -> list[str]:
    """Finish edits whose revision committed but whose file was not replaced (a crash).

    Only a file that still holds the revision before is rewritten (for a v1 made from Slack, a
    recorded SOP: only a file still missing): a file someone changed by hand since is theirs,
    and the next publish takes it.
    """
    finished = []
    workspace = repo.default_workspace(session)
    for record in repo.list_sops(session, workspace_id=workspace.id):
        current = record.current_revision
        if current is None or current.editor is None:
            continue
        try:
            path = _file(directory, record)
            on_disk = path.read_bytes().decode("utf-8") if path.is_file() else None
        except (Refused, OSError, UnicodeDecodeError):
            continue
        if on_disk == current.source:
            continue
        before = repo.get_revision(session, sop_id=record.id, number=current.number - 1)
        if before is None and not recordings.awaits_file(session, revision_id=current.id):
            continue  # a v1 whose file was written once and removed since: retired by hand
        if (before.source if before is not None else None) != on_disk:
            continue
        PendingWrite.stage(path, current.source).apply()
        log.warning(
            "%s: wrote v%s to %s (its edit was interrupted)",
            record.slug,
            current.number,
            record.path,
        )
        finished.append(record.slug)
    for leftover in directory.rglob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    return finished
