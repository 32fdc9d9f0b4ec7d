"""The engine and the one place a database session is opened, committed and closed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.threads import DATABASE_CONNECTIONS

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections kept open between bursts; the rest up to one per thread open when needed.
POOL_KEPT = 10
# Short waits, so a dead database fails a request while the person can still be told so
# (Slack gives 3 seconds) instead of hanging a thread. libpq's connect timeout is 2 s at least.
POOL_TIMEOUT_SECONDS = 2
CONNECT_TIMEOUT_SECONDS = 2
# SQLSTATE classes of a database out of reach: connection exception, insufficient resources
# (too many connections), operator intervention (shutting down). Client-side failures have none.
UNREACHABLE_SQLSTATES = ("08", "53", "57P")
# SQLite's busy, locked, I/O error, disk full and cannot open; not "no such table", a bug.
UNREACHABLE_SQLITE_CODES = frozenset({5, 6, 10, 13, 14})


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


# JSON columns go through orjson: the digest parses thousands of rollups per run, and orjson
# does it in a third of the standard library's time (see bench/digest.py).
JSON_CODEC = {"json_serializer": _json_dumps, "json_deserializer": orjson.loads}


# One connection per thread that may use the database (bot/threads.py), and a short wait.
POOL = {
    "pool_size": POOL_KEPT,
    "max_overflow": DATABASE_CONNECTIONS - POOL_KEPT,
    "pool_timeout": POOL_TIMEOUT_SECONDS,
}


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached now, rather than a bad query."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection came free in time
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in UNREACHABLE_SQLITE_CODES  # extended codes keep the primary in 8 bits
    state = getattr(error.orig, "sqlstate", None)
    return state is None or state.startswith(UNREACHABLE_SQLSTATES)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and immediate writes."""
    parsed = make_url(url)
    # hide_parameters: a database error must not log feedback text, user IDs or secrets.
    kwargs = {**POOL, **JSON_CODEC, "hide_parameters": True, **kwargs}
    if parsed.get_backend_name() != "sqlite":
        # A connect_timeout in DATABASE_URL wins (connect_args would override the URL's).
        timeout = "connect_timeout" not in parsed.query
        connect = {"connect_timeout": CONNECT_TIMEOUT_SECONDS} if timeout else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect, **kwargs)
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself instead of pysqlite's lazy BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (the feedback limiter's ended hours) are zeroed, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # BEGIN IMMEDIATE takes the write lock up front: a transaction waits (busy_timeout)
        # instead of failing with "database is locked" when it later upgrades a read lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class Database:
    """An engine plus its session factory; created once by the composition root."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error, always close."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def after_fork(self) -> None:
        """In a forked child: drop the inherited pool without closing the parent's connections."""
        # SQLAlchemy's recipe for multiprocessing: a connection must never be used by two
        # processes, and closing the inherited ones here would close them under the parent.
        self.engine.dispose(close=False)


_PLANNED_EACH = "sopbot.plan_each_statement"  # session.info: the transaction it was set in


def plan_each_statement(session: Session) -> None:
    """On PostgreSQL, plan the rest of this transaction's statements for their own values.

    psycopg prepares a statement once it has run five times on a connection, and PostgreSQL
    then keeps one generic plan when it costs less than the custom plans so far did: after the
    rollup job had read whole days, the plan made for a day's runs served `/sop kpis`'s
    five-minute reads at 4-6x their cost (bench/README.md, digest.py). Time windows from
    minutes to months need a plan each; other statements keep their cached plans.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_PLANNED_EACH) is transaction:
        return  # SET LOCAL lasts until the transaction ends
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    session.info[_PLANNED_EACH] = session.get_transaction()


# PostgreSQL takes at most 65,535 parameters in one statement: a material change to an SOP
# for 50,000 people closes 50,000 assignments and withdraws 100,000 reminders.
IN_LIST_CHUNK = 10_000


def in_chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in slices of at most IN_LIST_CHUNK, for the values of an IN list."""
    for start in range(0, len(items), IN_LIST_CHUNK):
        yield items[start : start + IN_LIST_CHUNK]
