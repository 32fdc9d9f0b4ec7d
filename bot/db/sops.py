"""Queries over SOPs and their revisions; callers own the transaction."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.orm import Session, selectinload, undefer

from bot.core.model import Sop
from bot.core.parse import parsed_by
from bot.db.models import QuizQuestion, Revision, SopRecord, StepRecord, Workspace

# Parsed revisions kept per database (engine) and process. A revision never changes once
# published, so its content is read and parsed once: a Done press or `/sop` otherwise read
# each run's whole SOP again (bench/ack_latency.py). Bounded; the oldest go first.
PARSED_KEPT = 256
_parsed: WeakKeyDictionary[Engine, dict[int, Sop]] = WeakKeyDictionary()
_parsed_lock = threading.Lock()


def revision_sop(session: Session, revision_id: int) -> Sop:
    """The content of revision `revision_id`, parsed; read from the database once."""
    engine = session.get_bind()
    assert isinstance(engine, Engine)
    with _parsed_lock:
        found = _parsed.setdefault(engine, {}).get(revision_id)
    if found is not None:
        return found
    content = session.scalar(select(Revision.content).where(Revision.id == revision_id))
    if content is None:
        raise LookupError(f"no revision {revision_id}")
    sop = Sop.from_dict(content)
    with _parsed_lock:
        kept = _parsed.setdefault(engine, {})
        kept[revision_id] = sop
        if len(kept) > PARSED_KEPT:
            del kept[next(iter(kept))]
    return sop


def open_workspace(session: Session, *, now: datetime) -> Workspace:
    """The install's workspace, made (stamped `now`) when the database has none yet.

    sopbot serves one team per database. Opening the database (migrate.open_current) and the
    first publish make it, so the stamp comes from the caller's clock, never the machine's.
    """
    workspace = _first_workspace(session)
    if workspace is None:
        workspace = Workspace(name="", created_at=now)
        session.add(workspace)
        session.flush()
    return workspace


def default_workspace(session: Session) -> Workspace:
    """The install's workspace, made by open_workspace when the database was opened."""
    workspace = _first_workspace(session)
    if workspace is None:
        raise no_workspace()
    return workspace


def no_workspace() -> LookupError:
    """The error of a database opened without its workspace."""
    return LookupError(
        "the database has no workspace yet: open it with migrate.open_current "
        "(or call open_workspace with the time) first"
    )


def _first_workspace(session: Session) -> Workspace | None:
    return session.scalars(select(Workspace).order_by(Workspace.id).limit(1)).first()


def get_sop(session: Session, *, workspace_id: int, slug: str) -> SopRecord | None:
    """The SOP with this slug, retired or not."""
    return session.scalars(
        select(SopRecord).where(SopRecord.workspace_id == workspace_id, SopRecord.slug == slug)
    ).first()


def list_sops(
    session: Session, *, workspace_id: int, include_retired: bool = False, lean: bool = False
) -> list[SopRecord]:
    """SOPs ordered by title, each with its current revision loaded."""
    revision = selectinload(SopRecord.current_revision)
    if lean:  # without the revision's source file and diff, most of its bytes
        revision = revision.defer(Revision.source).defer(Revision.diff)
    query = (
        select(SopRecord)
        .where(SopRecord.workspace_id == workspace_id)
        .options(revision)
        .order_by(SopRecord.title)
    )
    if not include_retired:
        query = query.where(SopRecord.retired_at.is_(None))
    return list(session.scalars(query))


@dataclass(frozen=True)
class ParsedAs:
    """What a current revision's content says of its file, read without loading the content."""

    path: str | None
    slug: str | None
    title: str | None
    parsed_by: str | None  # bot/core/parse.parsed_by of the parser that made it


def sops_to_publish(session: Session, *, workspace_id: int) -> list[tuple[SopRecord, ParsedAs]]:
    """Every SOP, retired ones too, ordered by title, with its current revision loaded but for
    its content and diff, and what that content says of its file.

    Republishing a folder compares each file's text with its revision's source; the content
    (several KB of JSON a revision) is needed only for files that changed, and is loaded for
    those by load_contents.
    """
    content = Revision.content
    query = (
        select(
            SopRecord,
            content["path"].as_string(),
            content["slug"].as_string(),
            content["title"].as_string(),
            content["parsed_by"].as_string(),
        )
        .outerjoin(Revision, Revision.id == SopRecord.current_revision_id)
        .where(SopRecord.workspace_id == workspace_id)
        .options(
            selectinload(SopRecord.current_revision).defer(Revision.content).defer(Revision.diff)
        )
        .order_by(SopRecord.title)
    )
    return [(record, ParsedAs(*marks)) for record, *marks in session.execute(query)]


def load_contents(session: Session, revisions: Sequence[Revision]) -> None:
    """Load the content of those `revisions` that lack it in a few queries, not one each."""
    ids = [r.id for r in revisions if "content" in inspect(r).unloaded]
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        query = select(Revision).where(Revision.id.in_(chunk)).options(undefer(Revision.content))
        session.scalars(query).all()  # fills in the revisions already in the session


def get_revision(session: Session, *, sop_id: int, number: int) -> Revision | None:
    """Revision `number` of an SOP."""
    return session.scalars(
        select(Revision).where(Revision.sop_id == sop_id, Revision.number == number)
    ).first()


def current_sops(session: Session, *, workspace_id: int) -> list[tuple[SopRecord, Sop]]:
    """Every live SOP with its current revision parsed back into the core model."""
    return [
        (record, Sop.from_dict(record.current_revision.content))
        for record in list_sops(session, workspace_id=workspace_id, lean=True)
        if record.current_revision is not None
    ]


@dataclass(frozen=True)
class NewRevision:
    """What a new revision of one SOP stores."""

    sop: Sop
    number: int
    source: str
    fingerprint: str
    diff: dict
    material: bool
    # Set when the revision was made from Slack: who, their note, whose wording it is.
    editor: str | None = None
    note: str | None = None
    credit: str | None = None


def add_revisions(
    session: Session, revisions: Sequence[tuple[SopRecord, NewRevision]], *, now: datetime
) -> list[Revision]:
    """Store new revisions of several SOPs in one flush and make each current (in order)."""
    made = [
        Revision(
            sop_id=record.id,
            number=new.number,
            fingerprint=new.fingerprint,
            content={**new.sop.to_dict(), "parsed_by": parsed_by()},
            source=new.source,
            diff=new.diff,
            material=new.material,
            published_at=now,
            editor=new.editor,
            note=new.note,
            credit=new.credit,
        )
        for record, new in revisions
    ]
    if not made:
        return made
    session.add_all(made)
    session.flush()
    # Steps and questions as bulk INSERTs, not ORM objects: a new revision's are only ever
    # read back from the database, and at 1,000 SOPs the objects cost more than the rows.
    steps = [
        {"revision_id": r.id, "number": s.number, "title": s.title, "role": s.role, "body": s.body}
        for r, (_, new) in zip(made, revisions, strict=True)
        for s in new.sop.steps
    ]
    questions = [
        {
            "revision_id": r.id,
            "number": q.number,
            "text": q.text,
            "options": [{"text": o.text, "correct": o.correct} for o in q.options],
            "explanation": q.explanation,
            "step_number": q.step,
        }
        for r, (_, new) in zip(made, revisions, strict=True)
        for q in new.sop.quiz
    ]
    for model, rows in ((StepRecord, steps), (QuizQuestion, questions)):
        if rows:
            session.execute(insert(model), rows)
    for (record, new), revision in zip(revisions, made, strict=True):
        record.current_revision = revision
        record.title = new.sop.title
        record.owner = new.sop.owner
        record.path = new.sop.path
        record.retired_at = None
    return made
