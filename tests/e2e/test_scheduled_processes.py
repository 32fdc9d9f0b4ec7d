"""A scheduled run starts exactly once with `sopbot run` and `sopbot worker` on one PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.slacksim import FakeSlack
from bot.slacksim.seed import OPS
from tests.conftest import CHILD_PYTHONPATH, PG_URL, SAMPLE_SOPS, _pg_schema_url
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.conversation import visible_text
from tests.e2e.test_sopbot_run import free_port, stop, wait_healthy

pytestmark = pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
TICKED = 'Job "scheduled_runs_job'  # APScheduler's INFO line once the tick has run


def scheduled_sop(sops: Path) -> None:
    """An SOP scheduled every day a minute ago (real time), due within the hour, in #ops."""
    shutil.copytree(SAMPLE_SOPS, sops)
    at = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%H:%M")
    (sops / "close-till.md").write_text(
        "---\nid: close-till\n"
        f'schedule: ["every day {at} #ops"]\ntimezone: UTC\ndue: 1h\n---\n'
        "# Close the till\n\n## Steps\n### Count the cash\nCount it.\n"
    )


def sopbot(
    command: list[str], *, fake: FakeSlack, url: str, port: int, tmp: Path, log: Path
) -> subprocess.Popen:
    """`python -m bot COMMAND` on this database and fake, logging to `log`."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))},
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": url,
        "PORT": str(port),
        "SOPS_DIR": str(tmp / "sops"),
        "PYTHONPATH": CHILD_PYTHONPATH,
    }
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *command], env=env, cwd=tmp, stdout=out,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip


def wait_ticked(log: Path, times: int = 1, timeout: float = 60) -> None:
    """Poll the process's log until its scheduled-runs tick has run `times` times."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count(TICKED) >= times:
            return
        time.sleep(0.1)  # polling another process's log; not a timing assumption
    raise TimeoutError(f"no scheduled-runs tick in {log}:\n{log.read_text()[-2000:]}")


def posts(fake: FakeSlack) -> list[dict]:
    return [m for m in fake.messages(OPS) if "Scheduled: Close the till" in visible_text(m)]


def test_run_and_worker_on_one_database_post_a_scheduled_run_once_even_after_a_restart(
    fake: FakeSlack, tmp_path: Path
):
    scheduled_sop(tmp_path / "sops")
    schema = _pg_schema_url(PG_URL)  # dropped when closed
    url = next(schema)
    port = free_port()
    run_log, worker_log = tmp_path / "run.log", tmp_path / "worker.log"
    try:
        run = sopbot(
            ["run", "--host", "127.0.0.1"], fake=fake, url=url, port=port, tmp=tmp_path, log=run_log
        )
        worker = sopbot(["worker"], fake=fake, url=url, port=port, tmp=tmp_path, log=worker_log)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", run)
            wait_ticked(run_log)
            wait_ticked(worker_log)  # both looked at the same occurrence
            fake.wait_for(lambda: posts(fake), 30, what="the scheduled post")
            stop(run)  # a restart: its start-up tick sees the run already claimed
            run = sopbot(
                ["run", "--host", "127.0.0.1"],
                fake=fake,
                url=url,
                port=port,
                tmp=tmp_path,
                log=run_log,
            )
            wait_healthy(f"http://127.0.0.1:{port}", run)
            wait_ticked(run_log, times=2)
        finally:
            stop(run)
            stop(worker)
        assert len(posts(fake)) == 1, run_log.read_text() + worker_log.read_text()
        assert "Traceback" not in run_log.read_text() + worker_log.read_text()
    finally:
        schema.close()
