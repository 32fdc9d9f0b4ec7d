"""The migration chain builds exactly the schema the models describe, on each database."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.db import migrate
from bot.db.schema import Base
from bot.db.session import Database


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


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    database.dispose()
