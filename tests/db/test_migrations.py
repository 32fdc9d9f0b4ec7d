"""The migration chain builds exactly the schema the models describe, on each database."""

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, make_url, text

from bot.db import migrate
from bot.db.schema import Base
from bot.db.session import Database

_KEEP_DELETED = "PRAGMA secure_delete = OFF"


def test_fresh_database_upgrades_to_head_and_matches_the_models(database_url):
    database = Database(database_url)
    try:
        assert migrate.current_revision(database.engine) is None
        assert migrate.upgrade(database.engine) is True
        assert migrate.current_revision(database.engine) == migrate.head_revision()
        with database.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
        tables = set(inspect(database.engine).get_table_names())
        assert {"workspaces", "sops", "revisions", "steps", "quiz_questions"} <= tables
    finally:
        database.dispose()


def test_upgrade_twice_is_a_no_op(db):
    assert migrate.upgrade(db.engine) is False


def test_the_head_read_without_alembic_is_alembics_head():
    # upgrade() trusts it to skip Alembic when the database is already there.
    assert migrate._chain_head() == migrate.head_revision()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    database.dispose()


def test_upgrading_from_0007_drops_the_traceable_quota_rows_and_their_key(database_url):
    salt, traced = "5a17c0de" * 8, "7ace" * 16
    database = Database(database_url)
    if database.dialect == "sqlite":  # as where SQLite is built with it off (Debian's has it on)
        event.listen(database.engine, "connect", lambda dbapi, _: dbapi.execute(_KEEP_DELETED))
    try:
        _migrate(database, "0007")
        at = datetime(2026, 11, 30, 9, 17, tzinfo=UTC)
        with database.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO install_secrets (name, value, created_at) VALUES (:n, :v, :at)"),
                {"n": "feedback_rate_salt", "v": salt, "at": at},
            )
            conn.execute(
                text("INSERT INTO feedback_quota (author_hash, at) VALUES (:h, :at)"),
                {"h": traced, "at": at},
            )
        assert migrate.upgrade(database.engine) is True
        assert "install_secrets" not in inspect(database.engine).get_table_names()
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM feedback_quota")).scalar() == 0
        _migrate(database, "0007", down=True)  # and back: the old, empty shape
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM install_secrets")).scalar() == 0
        assert migrate.upgrade(database.engine) is True
    finally:
        database.dispose()
    if database_url.startswith("sqlite"):
        # Not even in the file's free pages (or a WAL left behind).
        path = Path(make_url(database_url).database)
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert [value for value in (salt, traced) if value.encode() in stored] == []


def _migrate(database: Database, revision: str, *, down: bool = False) -> None:
    config = migrate.alembic_config()
    with database.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)
