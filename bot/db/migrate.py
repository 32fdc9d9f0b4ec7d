"""Apply the Alembic migration chain in `migrations/` (package bot._migrations) to a database."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

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
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def head_revision() -> str:
    """The newest migration ID in the chain."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> frozenset[str]:
    """Every migration ID in the chain, head included."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(revision.revision for revision in script.walk_revisions())


def current_revision(engine: Engine) -> str | None:
    """The migration ID the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine) -> bool:
    """Migrate to head in one transaction; return True when anything was applied."""
    if current_revision(engine) == head_revision():
        return False
    config = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Several processes may start at once; one migrates, the others wait, then no-op.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return True
