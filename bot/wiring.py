"""Composition root: builds the long-lived objects (database, and later Slack app, scheduler)."""

from __future__ import annotations

from bot.config import Settings
from bot.db import migrate
from bot.db.session import Database


def open_database(settings: Settings) -> Database:
    """Open DATABASE_URL and bring its schema up to date, so no one has to run a step first."""
    database = Database(settings.database_url)
    migrate.upgrade(database.engine)
    return database
