"""Publish SOPs as new revisions: a folder of files (retiring SOPs whose file is gone), an
edit from Slack, a recorded SOP. `publish_revisions` makes every revision, whoever asks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from bot.core.diff import RevisionDiff, content_fingerprint, diff_sops
from bot.core.model import Sop, SopError
from bot.core.parse import Unchanged, parsed_by, read_sops
from bot.db import sops as repo
from bot.db.models import Revision, SopRecord
from bot.services.feedback import FeedbackRenderers
from bot.services.feedback_handling import link_feedback

Status = Literal["new", "changed", "unchanged", "retired"]


@dataclass(frozen=True)
class Outcome:
    """What publishing did to one SOP."""

    slug: str
    title: str
    status: Status
    old_number: int | None = None
    new_number: int | None = None
    diff: RevisionDiff | None = None
    revision_id: int | None = None

    def describe(self) -> list[str]:
        """One headline line, then one indented line per changed step."""
        if self.status == "new":
            head = f"new        {self.slug} v{self.new_number}  {self.title}"
        elif self.status == "changed":
            assert self.diff is not None
            kind = "material" if self.diff.material else "minor"
            head = (
                f"changed    {self.slug} v{self.old_number} -> v{self.new_number}  "
                f"({kind}: {self.diff.reason})"
            )
        elif self.status == "unchanged":
            head = f"unchanged  {self.slug} v{self.old_number}"
        else:
            head = f"retired    {self.slug} (last v{self.old_number}; history kept)"
        details = self.diff.summary_lines() if self.diff and self.status == "changed" else []
        return [head, *(f"           {line}" for line in details)]


@dataclass
class PublishReport:
    """The outcome per SOP, or the validation errors that stopped the publish."""

    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[SopError] = field(default_factory=list)

    @property
    def new_revisions(self) -> list[Outcome]:
        """Outcomes that created a revision."""
        return [o for o in self.outcomes if o.status in ("new", "changed")]


@dataclass(frozen=True)
class NextRevision:
    """A new revision of one SOP to store: its record, content and file text, who made it."""

    record: SopRecord
    sop: Sop
    source: str
    fingerprint: str | None = None  # content_fingerprint(sop), when the caller has it already
    minor: bool = False  # `sops publish --minor`: not material, whatever changed
    material: bool | None = None  # the editor's word on retraining; None: the diff decides
    editor: str | None = None
    note: str | None = None
    credit: str | None = None


def publish_revisions(
    session: Session, revisions: Sequence[NextRevision], *, now: datetime
) -> list[Outcome]:
    """Store each SOP's next revision, diffed against its current one, in one flush.

    The one place a revision is made (files, an edit from Slack, a recording): its number,
    fingerprint, diff and retraining decision, and its outcome, in the order given.
    """
    planned: list[tuple[SopRecord, repo.NewRevision]] = []
    outcomes = []
    # Current revisions a folder's publish left without their content, in one query.
    currents = [r.record.current_revision for r in revisions]
    repo.load_contents(session, [c for c in currents if c is not None])
    for revision in revisions:
        record, sop, current = revision.record, revision.sop, revision.record.current_revision
        old = Sop.from_dict(current.content) if current is not None else None
        diff = diff_sops(old, sop, force_minor=revision.minor)
        if revision.material is not None and diff.material != revision.material:  # the editor wins
            how = "material" if revision.material else "minor"
            diff = replace(diff, material=revision.material, reason=f"marked {how} by its editor")
        new = repo.NewRevision(
            sop=sop,
            number=current.number + 1 if current is not None else 1,
            source=revision.source,
            fingerprint=revision.fingerprint or content_fingerprint(sop),
            diff=diff.to_dict(),
            material=diff.material,
            editor=revision.editor,
            note=revision.note,
            credit=revision.credit,
        )
        planned.append((record, new))
        outcomes.append(
            Outcome(
                slug=sop.slug,
                title=sop.title,
                status="new" if current is None else "changed",
                old_number=current.number if current is not None else None,
                new_number=new.number,
                diff=diff,
            )
        )
    # Every revision with its steps and questions in one flush (batched inserts), not one
    # flush per SOP.
    stored = repo.add_revisions(session, planned, now=now)
    return [replace(o, revision_id=r.id) for o, r in zip(outcomes, stored, strict=True)]


def publish_directory(
    session: Session,
    *,
    directory: Path,
    now: datetime,
    renderers: FeedbackRenderers,
    minor: bool = False,
) -> PublishReport:
    """Validate every file, then store changed ones as revisions; any error stores nothing.

    Feedback a new revision addressed is marked, its author told and its routed copies
    updated with `renderers` (the Slack layer's).
    """
    workspace = repo.open_workspace(session, now=now)
    # Every SOP with its current revision in two queries, not two per file; the revisions'
    # content only where a file changed (repo.load_contents, in publish_revisions).
    listed = repo.sops_to_publish(session, workspace_id=workspace.id)
    records = {record.slug: record for record, _ in listed}
    # A file whose text is its SOP's current revision's source, parsed by this very parser, is
    # unchanged: not parsed again, nor its stored content read (after an upgrade every file is
    # parsed once more).
    parser = parsed_by()
    parsed_before = {
        record.path: (record, stored)
        for record, stored in listed
        if record.current_revision is not None
        and stored.path == record.path
        and stored.slug == record.slug
        and stored.parsed_by == parser
    }
    known = {path: (r.current_revision.source, r.slug) for path, (r, _) in parsed_before.items()}
    sops, errors = read_sops(directory, known=known)
    if errors:
        return PublishReport(errors=errors)
    # New SOPs' records first, in one flush: their revisions need the records' ids.
    fresh = [
        _new_record(workspace.id, sop, now)
        for sop in sops
        if isinstance(sop, Sop) and sop.slug not in records
    ]
    if fresh:
        session.add_all(fresh)
        session.flush()
        records.update((record.slug, record) for record in fresh)
    report = PublishReport()
    seen: set[str] = set()
    changed: list[NextRevision] = []
    slots: list[Outcome | None] = []  # None: the outcome of the next revision in `changed`
    for sop in sops:
        if isinstance(sop, Unchanged):
            record, stored = parsed_before[sop.path]
            seen.add(record.slug)
            assert record.current_revision is not None and stored.title is not None
            slots.append(_live_again(record, record.current_revision, sop.path, stored.title))
            continue
        seen.add(sop.slug)
        record = records[sop.slug]
        current = record.current_revision
        fingerprint = content_fingerprint(sop)
        if current is not None and current.fingerprint == fingerprint:
            slots.append(_live_again(record, current, sop.path, sop.title))
            continue
        source = (directory / sop.path).read_text(encoding="utf-8")
        changed.append(NextRevision(record, sop, source, fingerprint=fingerprint, minor=minor))
        slots.append(None)
    published = iter(publish_revisions(session, changed, now=now))
    report.outcomes = [o if o is not None else next(published) for o in slots]
    for record in records.values():
        if record.slug not in seen and record.retired_at is None:
            record.retired_at = now
            number = record.current_revision.number if record.current_revision else None
            report.outcomes.append(
                Outcome(slug=record.slug, title=record.title, status="retired", old_number=number)
            )
    # Same transaction, whoever publishes: feedback on a changed step is marked, authors told.
    link_feedback(session, outcomes=report.new_revisions, now=now, render=renderers)
    return report


def publish_new_sop(
    session: Session, *, sop: Sop, source: str, now: datetime, editor: str, note: str
) -> Outcome:
    """Publish v1 of an SOP no record has yet (a recorded SOP, before its file is written).

    The caller made sure the id is free (recording._taken: every SOP's, retired ones too); an
    SOP published under it since fails the unique (workspace, slug) key instead of gaining a
    revision from someone else's recording.
    """
    workspace = repo.open_workspace(session, now=now)
    record = _new_record(workspace.id, sop, now)
    session.add(record)
    session.flush()
    first = NextRevision(record, sop, source, editor=editor, note=note)
    (outcome,) = publish_revisions(session, [first], now=now)
    return outcome


def _new_record(workspace_id: int, sop: Sop, now: datetime) -> SopRecord:
    return SopRecord(
        workspace_id=workspace_id,
        slug=sop.slug,
        title=sop.title,
        path=sop.path,
        owner=sop.owner,
        created_at=now,
    )


def _live_again(record: SopRecord, current: Revision, path: str, title: str) -> Outcome:
    """The outcome of the file at `path` whose content is its SOP's current revision."""
    # A file that came back unchanged after being removed is simply live again. Only what
    # differs is set: 1,000 untouched records would each be checked again at the flush.
    if record.retired_at is not None:
        record.retired_at = None
    if record.path != path:
        record.path = path
    return Outcome(
        slug=record.slug,
        title=title,
        status="unchanged",
        old_number=current.number,
        revision_id=current.id,
    )
