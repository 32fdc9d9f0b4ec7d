"""Composition root: the one place that assembles what the entry points run."""

from __future__ import annotations

from bot.config import Settings
from bot.db import migrate
from bot.db.session import Database
from bot.runtime import Clock, Runtime, utc_now


def open_database(settings: Settings) -> Database:
    """Open DATABASE_URL and bring its schema up to date, so no one has to run a step first."""
    database = Database(settings.database_url)
    migrate.upgrade(database.engine)
    return database


def build_runtime(settings: Settings, *, clock: Clock = utc_now) -> Runtime:
    """Open the database (migrating it) and assemble the runtime."""
    return Runtime(settings=settings, database=open_database(settings), clock=clock)
