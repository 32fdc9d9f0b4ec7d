"""`sopbot run` as an admin starts it: a real process, configured only by its environment."""

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
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.cli import main
from bot.playground.wiring import Playground
from bot.slack.ids import Action
from bot.slacksim import FakeSlack
from bot.slacksim.seed import MARIA, SAM, SUPPORT
from tests.conftest import CHILD_PYTHONPATH, SAMPLE_SOPS
from tests.e2e.conftest import SIGNING_SECRET, ReplayingDriver
from tests.e2e.conversation import buttons, visible_text
from tests.e2e.playground_fixtures import START

STARTUP_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen) -> None:
    """Poll /healthz until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        # Not listening yet is the expected answer while it starts.
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError),
            urllib.request.urlopen(f"{url}/healthz", timeout=1) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.1)  # polling a server that is starting; not a timing assumption
    raise TimeoutError("sopbot run did not become healthy")


def start_sopbot_run(
    fake: FakeSlack, database_url: str, tmp_path: Path, port: int
) -> subprocess.Popen:
    """`python -m bot run` on `port`, configured by its environment, with a copy of the samples."""
    shutil.copytree(SAMPLE_SOPS, tmp_path / "sops")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))},
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "SOPS_DIR": str(tmp_path / "sops"),
        "PYTHONPATH": CHILD_PYTHONPATH,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def step_offering(fake: FakeSlack, parent_ts: str, number: int, action: str) -> dict:
    """Step `number` of the run's thread once it offers `action`."""
    return fake.wait_for(
        lambda: next(
            (
                m
                for m in fake.thread(SUPPORT, parent_ts)[1:]
                if f"Step {number} of 7" in visible_text(m) and action in buttons(m)
            ),
            None,
        ),
        what=f"step {number} offering {action}",
    )


def wait_for_cast(fake: FakeSlack, database_url: str) -> None:
    """Wait until the process's start-up pass has stored the sample's cast."""
    engine = create_engine(database_url)
    try:

        def stored() -> bool:
            with engine.connect() as connection:
                return bool(connection.scalar(text("select count(*) from cast_members")))

        fake.wait_for(stored, what="the cast resolved at start-up", timeout=20)
    finally:
        engine.dispose()


def test_sopbot_run_serves_a_whole_run_from_its_environment(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    port = free_port()
    process = start_sopbot_run(fake, database_url, tmp_path, port)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        slack = ReplayingDriver(fake, f"{url}/slack/events", SIGNING_SECRET)
        assert slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 200
        parent = fake.wait_for(lambda: fake.messages(SUPPORT), what="a run")[-1]
        assert "Handle a refund request" in visible_text(parent)
        for number in range(1, 8):
            if number == 4:  # the Team lead's step: Sam (the sample's cast) takes it
                waiting = step_offering(fake, parent["ts"], 4, Action.TAKE_STEP)
                wait_for_cast(fake, database_url)
                slack.click(SAM, waiting, Action.TAKE_STEP)
            step = step_offering(fake, parent["ts"], number, Action.STEP_DONE)
            slack.click(SAM if number == 4 else MARIA, step, Action.STEP_DONE)
        fake.wait_for(
            lambda: "Completed" in visible_text(fake.messages(SUPPORT)[-1]),
            what="the run completed",
        )
    finally:
        stop(process)
    log = process.stderr.read()
    assert "published: new        refund-request v1" in log
    assert "Traceback" not in log


def test_play_refuses_a_database_that_sopbot_run_has_served(
    fake: FakeSlack, database_url: str, tmp_path: Path, monkeypatch, capsys
):
    # The playground would send this database's outbox (messages for real people) to its
    # simulated Slack, and publish its own SOPs and runs into it.
    port = free_port()
    process = start_sopbot_run(fake, database_url, tmp_path, port)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
    finally:
        stop(process)
    monkeypatch.chdir(tmp_path)

    def serve_forever(self: Playground) -> Playground:
        raise AssertionError("the playground started on a database sopbot run has served")

    monkeypatch.setattr(Playground, "start", serve_forever)  # fail, rather than serve and hang
    played = main(["play", "--database-url", database_url], clock=lambda: START)
    said = capsys.readouterr().err.strip().splitlines()
    assert played == 2
    assert len(said) == 1 and "--database-url has served a real Slack workspace" in said[0]
    assert said[0].endswith("leave out --database-url, or give it a new, empty database")


def test_socket_mode_with_a_refused_app_token_is_one_line_exit_2(fake: FakeSlack, tmp_path: Path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))},
        "SLACK_BOT_TOKEN": fake.token,
        "SLACK_APP_TOKEN": "xapp-1-A0SOPBOT01-1-refused",
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "SOPS_DIR": str(SAMPLE_SOPS),
        "PYTHONPATH": CHILD_PYTHONPATH,
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--no-worker"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("sopbot: Slack refused SLACK_APP_TOKEN (invalid_auth)")
    )
    # It got as far as asking Slack for a Socket Mode connection with that token.
    assert [c.method for c in fake.calls_to("apps.connections.open")] == ["apps.connections.open"]
