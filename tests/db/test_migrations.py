"""The migration chain builds exactly the schema the models describe, on each database."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, make_url, select, text

from bot.core.kpis.histogram import bucket, histogram, value
from bot.db import migrate
from bot.db.digest import KpiPerson, KpiRollup
from bot.db.rollups import counts_from_json
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


def test_upgrading_to_0015_turns_rollup_lists_into_the_histograms_a_rebuild_would_store(
    database_url,
):
    durations, step_one = [30.0, 612.5, 612.9, 4000.0], [5.0, 7.0, 9.5]
    old = {"misses": [["vpn", 2]], "durations": durations,
           "step_seconds": [[1, step_one], [2, [61.0]]], "stops": [[2, 1]]}  # fmt: skip
    totals = {"lookups": 3, "runs_started": 4, "runs_completed": 4, "runs_abandoned": 0,
              "current_revision_runs": 4, "open_started_at": [], "people": ["U1"]}  # fmt: skip
    database = Database(database_url)
    try:
        _migrate(database, "0013")
        with database.engine.begin() as conn:
            workspace = "INSERT INTO workspaces (id, name, settings, created_at)"
            workspace += " VALUES (1, 'w', '{}', :at)"
            conn.execute(text(workspace), {"at": datetime(2026, 11, 2, tzinfo=UTC)})
            conn.execute(
                text("INSERT INTO kpi_rollups (id, workspace_id, tz, day, sop, counts, lists)"
                     " VALUES (1, 1, 'UTC', :day, 'refund', :counts, :lists)"),
                {"day": date(2026, 11, 2), "counts": json.dumps(totals), "lists": json.dumps(old)},
            )  # fmt: skip
        _migrate(database, "0015")
        with database.session() as session:
            row = session.scalars(select(KpiRollup)).one()
            counts = counts_from_json(row.counts, row.lists)
        assert counts.durations == histogram(durations)
        assert counts.step_seconds == ((1, 0, histogram(step_one)), (2, 0, histogram([61.0])))
        assert (counts.misses, counts.stops, counts.lookups) == ((("vpn", 2),), ((2, 1),), 3)
        assert counts.people == frozenset({"U1"})  # stored people stay user IDs
        with database.session() as session:  # a rollup written since stores person numbers
            day = date(2026, 11, 2)
            session.add_all(
                [KpiPerson(id=n, workspace_id=1, user_id=f"U{n}", last_day=day) for n in (7, 9)]
            )
            row = session.scalars(select(KpiRollup)).one()
            row.counts = {**row.counts, "people": [], "people_numbers": [7], "people_bits": "200",
                          "open_started": [1_764_000_000_000_001]}  # fmt: skip
            del row.counts["open_started_at"]
        _migrate(database, "0013", down=True)  # each bucket's middle, as many times as it holds
        with database.engine.connect() as conn:
            counts, lists = conn.execute(text("SELECT counts, lists FROM kpi_rollups")).one()
        counts, lists = (json.loads(x) if isinstance(x, str) else x for x in (counts, lists))
        assert counts["people"] == ["U7", "U9"] and "people_numbers" not in counts  # 0x200: 9
        assert counts["open_started_at"] == ["2025-11-24T16:00:00.000001+00:00"]
        assert lists["durations"] == [value(bucket(s)) for s in durations]
        assert [round(s / 10) for s in lists["durations"]] == [4, 62, 62, 398]  # within 1%
        assert lists["step_seconds"] == [[1, [5.0, 5.0, 5.0]], [2, [65.0]]]
        assert migrate.upgrade(database.engine) is True
    finally:
        database.dispose()


def test_0016_adds_spans_and_day_revisions_and_takes_them_away_again(database_url):
    database = Database(database_url)
    day, at = date(2026, 11, 2), datetime(2026, 11, 3, tzinfo=UTC)
    try:
        _migrate(database, "0015")
        with database.engine.begin() as conn:
            conn.execute(text("INSERT INTO workspaces (id, name, settings, created_at)"
                              " VALUES (1, 'w', '{}', :at)"), {"at": at})  # fmt: skip
            conn.execute(text("INSERT INTO kpi_rollup_days (workspace_id, tz, day, built_at,"
                              " open_runs) VALUES (1, 'UTC', :day, :at, 0)"),
                         {"day": day, "at": at})  # fmt: skip
        _migrate(database, "0016")
        with database.engine.begin() as conn:  # a day built before counts as revision 0
            assert conn.execute(text("SELECT revision FROM kpi_rollup_days")).scalar() == 0
            conn.execute(text("INSERT INTO kpi_spans (workspace_id, tz, first, last, built_at,"
                              " revisions) VALUES (1, 'UTC', :day, :day, :at, '[0]')"),
                         {"day": day, "at": at})  # fmt: skip
        _migrate(database, "0015", down=True)
        tables = set(inspect(database.engine).get_table_names())
        assert not {"kpi_spans", "kpi_span_rollups"} & tables
        columns = {c["name"] for c in inspect(database.engine).get_columns("kpi_rollup_days")}
        assert "revision" not in columns and "settled_until" in columns
        assert migrate.upgrade(database.engine) is True
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM kpi_spans")).scalar() == 0
    finally:
        database.dispose()
