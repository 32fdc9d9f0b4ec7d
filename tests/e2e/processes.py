"""Real `sopbot run` and `sopbot worker` processes against the fake Slack, for operations tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.slacksim import FakeSlack
from tests.conftest import CHILD_PYTHONPATH, SAMPLE_SOPS
from tests.e2e.conftest import SIGNING_SECRET

STARTUP_TIMEOUT = 60
# The worker's test rates: fast enough for seconds-long tests, the lease as in production.
FAST_WORKER = ["--per-minute", "6000", "--tier3-per-minute", "6000"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Sopbot:
    """One running `sopbot` process and where it logs."""

    process: subprocess.Popen
    log_path: Path
    port: int | None = None
    metrics_port: int | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def log(self) -> str:
        return self.log_path.read_text()

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM, then wait for the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def sopbot_env(fake: FakeSlack, database_url: str, **extra: str) -> dict[str, str]:
    """The environment an admin would set, pointed at the fake Slack and `database_url`."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DIGEST_", "DATABASE_", "METRICS_", "LOG_", "SHUTDOWN_"))
    }
    return {
        **keep,
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": database_url,
        "PYTHONPATH": CHILD_PYTHONPATH,
        **extra,
    }


def start_sopbot(
    args: list[str], env: dict[str, str], workdir: Path, *, name: str, metrics: bool = False
) -> Sopbot:
    """`python -m bot ARGS` in `workdir`, logging to `workdir/NAME.log`."""
    workdir.mkdir(parents=True, exist_ok=True)
    if not (workdir / "sops").exists():
        shutil.copytree(SAMPLE_SOPS, workdir / "sops")
    env = {"SOPS_DIR": str(workdir / "sops"), **env}
    port = None
    if "run" in args:
        port = free_port()
        env["PORT"] = str(port)
        args = [*args, "--host", "127.0.0.1"]
    metrics_port = free_port() if metrics else None
    if metrics_port is not None:
        env["METRICS_PORT"] = str(metrics_port)
    log_path = workdir / f"{name}.log"
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Sopbot(process, log_path, port, metrics_port, env)


def fetch(url: str, timeout: float = 5) -> tuple[int, bytes]:
    """GET `url`: status and body (an HTTP error status too)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_up(bot: Sopbot, url: str) -> None:
    """Poll `url` until it answers 200; fail early, with its log, if the process died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        assert bot.process.poll() is None, bot.log()[-3000:]
        with contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError):
            if fetch(url, timeout=1)[0] == 200:
                return
        time.sleep(0.1)  # polling a process that is starting; not a timing assumption
    raise TimeoutError(f"{url} did not answer 200 in {STARTUP_TIMEOUT}s:\n{bot.log()[-3000:]}")


def wait_ready(bot: Sopbot) -> None:
    """A `sopbot run` answers /readyz."""
    wait_until_up(bot, f"{bot.url}/readyz")


def wait_started(bot: Sopbot) -> None:
    """A worker has logged that it sends (or, with metrics, serves them)."""
    if bot.metrics_port is not None:
        wait_until_up(bot, bot.metrics_url)
        return
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while "sending at most" not in bot.log():
        assert bot.process.poll() is None, bot.log()[-3000:]
        assert time.monotonic() < deadline, bot.log()[-3000:]
        time.sleep(0.1)  # polling a process that is starting
