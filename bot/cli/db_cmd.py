"""`sopbot db upgrade`: apply pending migrations."""

from __future__ import annotations

import argparse

from bot.clock import Clock
from bot.config import Settings
from bot.db import migrate
from bot.db.session import Database


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `db` sub-command."""
    db = commands.add_parser("db")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="apply pending migrations")
    upgrade.set_defaults(handler=upgrade_db)


def upgrade_db(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Apply migrations and say what happened."""
    database = Database(settings.database_url)
    applied = migrate.upgrade(database.engine)
    state = "upgraded to" if applied else "already at"
    print(f"database {state} {migrate.head_revision()} ({database.dialect})")
    database.dispose()
    return 0
