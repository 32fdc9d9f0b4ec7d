"""Apply the Alembic migration chain in `migrations/` (package bot._migrations) to a database."""

from __future__ import annotations

import ast
import re
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.db.session import Database
from bot.db.sops import open_workspace

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where it is used: a process whose database is already at head (every
# `sopbot` command after the first) checks that without it (_chain_head, _stamped).

# pyproject.toml maps the top-level migrations/ folder to this package, so one copy serves a
# checkout (editable install) and a wheel alike.
MIGRATIONS_PACKAGE = "bot._migrations"
# Any constant works; it only has to be the same in every sopbot process.
_PG_MIGRATION_LOCK = 0x50B07


def migrations_dir() -> Path:
    """The folder holding env.py and versions/, wherever sopbot is installed."""
    try:
        root = resources.files(MIGRATIONS_PACKAGE)
    except ModuleNotFoundError:
        root = None
    # Alembic lists versions/ with os.listdir, so it needs a real folder (not a zip).
    if not isinstance(root, Path) or not (root / "env.py").is_file():
        raise RuntimeError(
            f"migrations not found (package {MIGRATIONS_PACKAGE}); reinstall sopbot "
            "(in a checkout: pip install -e .)"
        )
    return root


def alembic_config() -> Config:
    """An Alembic config pointing at the project's migration scripts."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str:
    """The newest migration ID in the chain."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> frozenset[str]:
    """Every migration ID in the chain, head included."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


def current_revision(engine: Engine) -> str | None:
    """The migration ID the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def open_current(url: str, *, now: datetime) -> Database:
    """Open the database at `url` with its schema up to date (at once when it is) and the
    install's workspace in it (made, stamped `now`, on the first start)."""
    database = Database(url)
    upgrade(database.engine)
    with database.session() as session:
        open_workspace(session, now=now)
    return database


def upgrade(engine: Engine) -> bool:
    """Migrate to head in one transaction; return True when anything was applied."""
    head = _chain_head()
    if head is not None and _stamped(engine) == head:
        return False
    if current_revision(engine) == head_revision():
        return False
    from alembic import command

    config = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several processes may start at once; one migrates, the others wait, then no-op.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return True


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _chain_head() -> str | None:
    """The head of the chain read from the version files' assignments; None when unsure."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (migrations_dir() / "versions").glob("*.py"):
        found = dict(_ASSIGNMENT.findall(path.read_text(encoding="utf-8")))
        try:
            revision = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None  # not a plain literal: leave it to Alembic
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        parents.update(down if isinstance(down, tuple | list) else [down] if down else [])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stamped(engine: Engine) -> str | None:
    """The one version in the database's alembic_version table; None without one."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:  # no such table yet: a new database
        return None
    return rows[0] if len(rows) == 1 else None
