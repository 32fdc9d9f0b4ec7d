"""The engine: a connection for every thread, short waits, and telling an outage from a bug."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import exc, text

from bot.core.kpis import Window
from bot.db.session import Database, is_unavailable
from bot.db.sops import default_workspace
from bot.services import kpi_records
from bot.threads import DATABASE_CONNECTIONS


@pytest.fixture
def sqlite(tmp_path: Path) -> Iterator[Database]:
    # SQLite only: holding ~90 connections on the shared PostgreSQL server would starve others.
    database = Database(f"sqlite:///{tmp_path / 'pool.db'}")
    yield database
    database.dispose()


def test_every_thread_gets_a_connection_and_one_more_waits_only_briefly(sqlite: Database):
    with ExitStack() as held:
        for _ in range(DATABASE_CONNECTIONS):
            held.enter_context(sqlite.engine.connect())
        with pytest.raises(exc.TimeoutError) as waited:
            sqlite.engine.connect()
    assert is_unavailable(waited.value)


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_refused_postgresql_connection_is_an_outage():
    database = Database(f"postgresql+psycopg://sopbot@127.0.0.1:{free_port()}/sopbot")
    with pytest.raises(exc.OperationalError) as failed, database.session() as session:
        session.execute(text("SELECT 1"))
    assert is_unavailable(failed.value)


def test_an_unanswered_postgresql_connection_gives_up_after_the_connect_timeout():
    failures: list[BaseException] = []

    def connect(database: Database) -> None:
        try:
            database.engine.connect()
        except exc.OperationalError as error:
            failures.append(error)

    # Listening, never accepting: the connection waits in the backlog as if the host were gone.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        database = Database(f"postgresql+psycopg://sopbot@127.0.0.1:{port}/sopbot")
        attempt = threading.Thread(target=connect, args=(database,), daemon=True)
        attempt.start()
        # A deadline, not a measurement: without a connect timeout libpq waits 130 s.
        attempt.join(timeout=10)
    assert not attempt.is_alive(), "still connecting after 10 s"
    [failed] = failures
    assert is_unavailable(failed) and "timeout" in str(failed).lower()


def test_an_unopenable_sqlite_file_is_an_outage(tmp_path: Path):
    database = Database(f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}")
    with pytest.raises(exc.OperationalError) as failed, database.engine.connect():
        pass
    assert is_unavailable(failed.value)


def test_a_bad_query_is_a_bug_not_an_outage(db: Database):
    with pytest.raises(exc.DBAPIError) as failed, db.session() as session:
        session.execute(text("SELECT * FROM no_such_table"))
    assert not is_unavailable(failed.value)


@pytest.mark.parametrize("read", ["run_records", "lookup_records", "open_runs"])
def test_kpi_window_reads_are_planned_for_their_own_window_on_postgresql(db: Database, read):
    # A generic plan kept from whole-day reads made /sop kpis's five-minute reads 4-6x slower.
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's plan cache: SQLite plans every statement afresh")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    window = Window(start, start + timedelta(days=1))
    args = {"now": start} if read == "run_records" else {"at": start} if read == "open_runs" else {}
    with db.session() as session:
        configured = session.scalar(text("SHOW plan_cache_mode"))
    assert configured != "force_custom_plan"
    with db.session() as session:
        workspace_id = default_workspace(session).id
        getattr(kpi_records, read)(session, workspace_id=workspace_id, window=window, **args)
        assert session.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    with db.session() as session:  # only that transaction: other statements keep their plans
        assert session.scalar(text("SHOW plan_cache_mode")) == configured
