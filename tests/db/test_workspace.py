"""The install's workspace row: made once, stamped with the caller's clock, never the machine's."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db import migrate, served
from bot.db.models import Workspace
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.services.publish import publish_directory
from tests.conftest import SAMPLE_SOPS
from tests.db.feedback_helpers import RENDER

# Far from any real today, so a stamp from the machine's clock cannot pass for it.
FAR = datetime(2071, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.fixture
def empty(database_url: str) -> Iterator[Database]:
    """Migrated (`sopbot db upgrade`), with no workspace yet."""
    database = Database(database_url)
    migrate.upgrade(database.engine)
    yield database
    database.dispose()


def created_at(database: Database) -> datetime:
    with database.session() as session:
        return default_workspace(session).created_at


def test_the_column_has_no_clock_of_its_own():
    column = Workspace.__table__.c.created_at
    assert column.default is None and column.server_default is None


def test_opening_the_database_stamps_its_workspace_once_with_the_given_time(database_url: str):
    first = migrate.open_current(database_url, now=FAR)
    again = migrate.open_current(database_url, now=FAR + timedelta(days=30))
    try:
        assert created_at(first) == FAR
        assert created_at(again) == FAR  # made once, not again at the next start
        with again.session() as session:
            assert session.query(Workspace).count() == 1
    finally:
        first.dispose()
        again.dispose()


def test_the_first_publish_stamps_the_workspace_with_its_time(empty: Database, tmp_path: Path):
    sops = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, sops)
    with empty.session() as session:
        publish_directory(session, directory=sops, now=FAR, renderers=RENDER)
    assert created_at(empty) == FAR


def test_the_first_served_mark_stamps_the_workspace_with_its_time(empty: Database):
    with empty.session() as session:
        served.mark(session, what=served.PLAYGROUND, now=FAR)
    assert created_at(empty) == FAR


def test_reading_a_database_nobody_opened_says_how_to_open_it(empty: Database):
    with empty.session() as session, pytest.raises(LookupError, match="open_current"):
        default_workspace(session)
