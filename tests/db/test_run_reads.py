"""The reads behind `/sop` and a Done press: what they return, and how few statements they take."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select

from bot.db import migrate
from bot.db import sops as repo
from bot.db.models import Event, Revision, Run, RunVisit, SopRecord
from bot.db.session import Database
from bot.services import runs
from bot.services.catalog import Catalog
from bot.services.publish import publish_directory
from tests.conftest import SAMPLE_SOPS
from tests.db.feedback_helpers import RENDER

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
REFUND = "refund-request"


def publish(db: Database, directory: Path, now: datetime = AT) -> None:
    with db.session() as session:
        assert (
            publish_directory(session, directory=directory, now=now, renderers=RENDER).errors == []
        )


@pytest.fixture
def sops(db: Database, tmp_path: Path) -> Path:
    directory = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, directory)
    publish(db, directory)
    return directory


@contextmanager
def counted(db: Database) -> Iterator[list[str]]:
    """The SQL statements the database is sent meanwhile."""
    sent: list[str] = []

    def record(conn, cursor, statement, *_):  # noqa: ANN001 - SQLAlchemy's event signature
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def start(db: Database, slug: str, user: str, at: datetime) -> tuple[int, int]:
    """A new run of `slug` for `user`: (run ID, its first visit's ID)."""
    with db.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == slug)).one()
        state, visit_id = runs.start_run(
            session, record=record, user_id=user, channel_id="C1", now=at
        )
    return state.run_id, visit_id


def done(db: Database, visit_id: int, user: str, at: datetime) -> runs.Move:
    with db.session() as session:
        return runs.complete_step(session, visit_id=visit_id, user_id=user, now=at)


def edit_first_step(directory: Path, slug: str) -> None:
    """A material change to an SOP's file: its first step gets another title."""
    path = next(directory.rglob(f"{slug}.md"))
    text = path.read_text()
    heading = next(line for line in text.splitlines() if line.startswith("### "))
    path.write_text(text.replace(heading, heading + " (checked twice)", 1))


def test_unfinished_runs_come_newest_first_each_at_its_open_step(db: Database, sops: Path):
    first_run, first_visit = start(db, REFUND, "U1", AT)
    second_run, second_visit = start(db, "customer-inquiry", "U1", AT + timedelta(minutes=1))
    finished_run, visit = start(db, "customer-inquiry", "U1", AT + timedelta(minutes=2))
    start(db, REFUND, "U2", AT + timedelta(minutes=3))  # someone else's
    moved = done(db, first_visit, "U1", AT + timedelta(minutes=4))
    with db.session() as session:
        steps = len(repo.revision_sop(session, session.get(Run, finished_run).revision_id).steps)
    for minute in range(steps):
        move = done(db, visit, "U1", AT + timedelta(minutes=5 + minute))
        visit = move.next_visit_id or visit
    assert move.run is not None and move.run.status == "completed"

    with db.session() as session:
        found = runs.unfinished_runs(session, user_id="U1")
    assert [(r.run_id, r.current_step, r.visit_id) for r in found] == [
        (second_run, 1, second_visit),
        (first_run, 2, moved.next_visit_id),
    ]
    assert [r.slug for r in found] == ["customer-inquiry", REFUND]
    assert [r.revision for r in found] == [1, 1]
    assert all(r.newer_revision is None and r.assignee_id == "U1" for r in found)
    assert moved.run is not None and found[1].sop == moved.run.sop


def test_unfinished_runs_take_two_statements_however_many_there_are(db: Database, sops: Path):
    for n in range(4):
        start(db, REFUND if n % 2 else "customer-inquiry", "U1", AT + timedelta(minutes=n))
    with db.session() as session, counted(db) as sent:
        found = runs.unfinished_runs(session, user_id="U1")
    selects = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert len(found) == 4
    assert len(selects) == 2, selects


def test_a_run_on_an_older_revision_keeps_it_and_names_the_newer_one(db: Database, sops: Path):
    run_id, _ = start(db, REFUND, "U1", AT)
    with db.session() as session:
        before = runs.unfinished_runs(session, user_id="U1")[0].sop
    edit_first_step(sops, REFUND)
    publish(db, sops, AT + timedelta(hours=1))
    with db.session() as session:
        (state,) = runs.unfinished_runs(session, user_id="U1")
        got = runs.get_run(session, run_id=run_id)
    assert (state.revision, state.newer_revision, state.sop) == (1, 2, before)
    assert got is not None and (got.revision, got.newer_revision) == (1, 2)


def test_a_step_closes_once_and_the_pressed_visit_says_so(db: Database, sops: Path):
    _, visit = start(db, REFUND, "U1", AT)
    first = done(db, visit, "U1", AT + timedelta(seconds=90))
    again = done(db, visit, "U1", AT + timedelta(seconds=91))
    assert (first.verdict, first.closed_step, first.seconds_on_step) == ("ok", 1, 90.0)
    assert again.verdict == "stale"
    with db.session() as session:
        kinds = session.scalars(select(Event.kind).order_by(Event.id)).all()
        closed = session.get(RunVisit, visit)
        assert closed is not None
        assert (closed.finished_at, closed.outcome) == (AT + timedelta(seconds=90), "done")
    assert kinds.count("step_done") == 1 and kinds.count("run_started") == 1


def test_a_revision_is_read_and_parsed_once_per_database(db: Database, sops: Path, tmp_path):
    other_dir = tmp_path / "other"
    shutil.copytree(SAMPLE_SOPS, other_dir)
    edit_first_step(other_dir, REFUND)
    other = migrate.open_current(f"sqlite:///{tmp_path / 'other.db'}", now=AT)
    try:
        publish(other, other_dir)
        ids = {}
        for database in (db, other):
            with database.session() as session:
                ids[database] = session.scalar(
                    select(Revision.id)
                    .join(SopRecord, SopRecord.current_revision_id == Revision.id)
                    .where(SopRecord.slug == REFUND)
                )
        with db.session() as session, counted(db) as sent:
            mine = repo.revision_sop(session, ids[db])
            assert repo.revision_sop(session, ids[db]) is mine
        assert len([s for s in sent if "SELECT" in s.upper()]) == 1  # the second read nothing
        with other.session() as session:
            theirs = repo.revision_sop(session, ids[other])
        assert theirs.steps[0].title == mine.steps[0].title + " (checked twice)"
        with db.session() as session, pytest.raises(LookupError):
            repo.revision_sop(session, 10_000)
    finally:
        other.dispose()


def test_the_catalog_asks_one_statement_while_nothing_changed(db: Database, sops: Path):
    catalog = Catalog()
    with db.session() as session:
        first = catalog.snapshot(session)
    with db.session() as session, counted(db) as sent:
        assert catalog.snapshot(session) is first
    assert len([s for s in sent if "SELECT" in s.upper()]) == 1
    edit_first_step(sops, REFUND)
    publish(db, sops, AT + timedelta(hours=1))
    with db.session() as session:
        changed = catalog.snapshot(session)
    assert changed is not first and changed.get(REFUND).revision == 2  # type: ignore[union-attr]
    assert changed.workspace_id == first.workspace_id == repo_workspace_id(db)


def repo_workspace_id(db: Database) -> int:
    with db.session() as session:
        return repo.default_workspace(session).id


def test_the_catalog_of_a_database_nobody_opened_says_how_to_open_it(database_url: str):
    empty = Database(database_url)
    migrate.upgrade(empty.engine)
    try:
        with empty.session() as session, pytest.raises(LookupError, match="open_current"):
            Catalog().snapshot(session)
    finally:
        empty.dispose()
