"""What a database has served, and which ones `sopbot play --database-url` takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.cli.errors import UsageError
from bot.cli.play_cmd import check_playground_database
from bot.db import migrate, outbox, served
from bot.db.models import SopRecord
from bot.db.session import Database
from bot.db.sops import default_workspace

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def mark(db: Database, what: str, now: datetime = T0) -> None:
    with db.session() as session:
        served.mark(session, what=what, now=now)


def test_a_mark_is_kept_from_the_first_time_beside_the_other_settings(db: Database):
    with db.session() as session:
        default_workspace(session).settings = {"digest": {"channel": "C1"}}
    mark(db, served.REAL_SLACK)
    mark(db, served.REAL_SLACK, T0 + timedelta(days=3))
    assert served.marks(db.engine) == {served.REAL_SLACK: T0.isoformat()}
    with db.session() as session:
        assert default_workspace(session).settings["digest"] == {"channel": "C1"}


def test_play_takes_an_empty_database_or_one_it_made(database_url: str):
    database = Database(database_url)
    try:
        migrate.upgrade(database.engine)  # `sopbot db upgrade`: migrated, nothing in it yet
        check_playground_database(database_url)
        mark(database, served.PLAYGROUND)  # makes the workspace, marked
        check_playground_database(database_url)
    finally:
        database.dispose()


def test_play_refuses_a_database_that_served_a_real_slack_even_after_playing(
    database_url: str, db: Database
):
    mark(db, served.PLAYGROUND)
    mark(db, served.REAL_SLACK)
    with pytest.raises(UsageError, match="has served a real Slack workspace .* since 2026-11-30"):
        check_playground_database(database_url)


def test_play_takes_a_database_that_holds_only_the_workspace_row(database_url: str, db: Database):
    # Every sopbot command that opens the database makes that row (e.g. `sopbot outbox list`).
    assert served.marks(db.engine) is None
    check_playground_database(database_url)


@pytest.mark.parametrize("data", ["sop", "message"])
def test_play_refuses_data_it_did_not_make(database_url: str, db: Database, data: str):
    # E.g. `sops publish` with a real token, or a `sopbot run` from before the mark existed.
    with db.session() as session:
        workspace_id = default_workspace(session).id
        if data == "sop":
            session.add(SopRecord(workspace_id=workspace_id, slug="x", title="X", path="x.md",
                                  created_at=T0))  # fmt: skip
        else:
            outbox.enqueue(session, key="k", workspace_id=workspace_id, channel_id="C1", now=T0,
                           text="hello")  # fmt: skip
    with pytest.raises(UsageError, match="holds data the playground did not make"):
        check_playground_database(database_url)


def test_a_database_without_tables_is_fresh(database_url: str):
    database = Database(database_url)
    try:
        assert served.marks(database.engine) is None
    finally:
        database.dispose()
    check_playground_database(database_url)
