"""/healthz says the process is alive; /readyz says the database answers and is at head."""

from __future__ import annotations

import os
import subprocess
import sys

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.db import migrate
from tests.dockerfile import healthcheck_argv, stages
from tests.e2e.conftest import Bot
from tests.e2e.raw_http import get
from tests.e2e.test_sopbot_run import free_port


def _migrate(bot: Bot, revision: str, *, down: bool = False) -> None:
    config = migrate.alembic_config()
    with bot.runtime.database.engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(config, revision)


def test_a_migrated_database_is_ready(bot: Bot):
    assert get(f"{bot.server.url}/healthz", timeout=5) == (200, b"ok")
    assert get(f"{bot.server.url}/readyz", timeout=5) == (200, b"ready")


def test_a_database_one_migration_behind_is_not_ready_and_says_both_revisions(bot: Bot):
    head = migrate.head_revision()
    previous = ScriptDirectory.from_config(migrate.alembic_config()).get_revision(head)
    _migrate(bot, "-1", down=True)
    assert get(f"{bot.server.url}/readyz", timeout=5) == (
        503,
        f"migrations behind: at {previous.down_revision}, head {head}".encode(),
    )
    # Alive all the same: restarting the process would not migrate the database.
    assert get(f"{bot.server.url}/healthz", timeout=5) == (200, b"ok")
    _migrate(bot, "head")
    assert get(f"{bot.server.url}/readyz", timeout=5) == (200, b"ready")


def test_a_database_migrated_by_a_newer_sopbot_is_not_ready(bot: Bot):
    head = migrate.head_revision()
    with bot.runtime.database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    assert get(f"{bot.server.url}/readyz", timeout=5) == (
        503,
        f"database ahead of this sopbot: at f00d, head {head}".encode(),
    )


def test_the_dockerfile_healthcheck_passes_against_the_bot_and_fails_without_it(bot: Bot):
    # The image's python is on PATH; here it is this environment's.
    argv = [sys.executable, *healthcheck_argv(stages()[-1])[1:]]

    def check(port: int) -> int:
        env = {**os.environ, "PORT": str(port)}
        return subprocess.run(argv, env=env, capture_output=True, timeout=30).returncode

    assert check(bot.server.port) == 0
    assert check(free_port()) != 0
