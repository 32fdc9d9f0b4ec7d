"""Shared fixtures: a real database per test, SQLite always and PostgreSQL when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.db import migrate
from bot.db.session import Database

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_SOPS = ROOT / "sops"
PG_URL = os.environ.get("TEST_DATABASE_URL", "")
# For `sopbot` child processes: the checkout first, then whatever the run put there (a faked
# date's sitecustomize under scripts/test --at), so children live at the same time as pytest.
CHILD_PYTHONPATH = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))


def _pg_schema_url(base: str) -> Iterator[str]:
    """A fresh schema on the test server, dropped afterwards, so runs never see each other."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL: a SQLite file, or a throwaway PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sopbot.db'}"
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    yield from _pg_schema_url(PG_URL)


# When a test database was opened: the workspace's created_at (nothing reads it).
OPENED_AT = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database with the install's workspace, as every sopbot process opens it."""
    database = migrate.open_current(database_url, now=OPENED_AT)
    yield database
    database.dispose()


def pytest_report_header() -> str | None:
    """Say when the whole run lives at a faked date (scripts/test --at)."""
    when = os.environ.get("SOPBOT_TEST_NOW")
    return f"faked date: started at {when}, now {datetime.now(UTC).isoformat()}" if when else None
