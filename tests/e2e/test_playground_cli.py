"""`sopbot play`, and `sopbot run` without a token, as real processes a newcomer starts."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import CHILD_PYTHONPATH, SAMPLE_SOPS
from tests.e2e.test_sopbot_run import free_port

STARTUP_TIMEOUT = 90  # `run` and `play` first make a month of history (seconds; CI is busy)


@contextmanager
def sopbot(tmp_path: Path, *args: str, port: int) -> Iterator[tuple[subprocess.Popen, queue.Queue]]:
    """Run `python -m bot ARGS` with no Slack settings in an empty folder; SIGINT at the end."""
    shutil.copytree(SAMPLE_SOPS, tmp_path / "sops", dirs_exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))},
        "PORT": str(port),
        "SOPS_DIR": str(tmp_path / "sops"),
        "PYTHONPATH": CHILD_PYTHONPATH,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    try:
        yield process, lines
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def first_line(lines: queue.Queue, process: subprocess.Popen) -> str:
    try:
        return lines.get(timeout=STARTUP_TIMEOUT).strip()
    except queue.Empty:
        raise AssertionError(f"no output; stderr: {process.stderr.read()}") from None


def test_run_without_a_token_says_so_in_one_line_and_starts_the_playground(tmp_path: Path):
    port = free_port()
    with sopbot(tmp_path, "run", port=port) as (process, lines):
        assert first_line(lines, process) == f"Playground: http://127.0.0.1:{port}/"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200 and b"sopbot playground" in response.read()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0
    said = process.stderr.read().strip().splitlines()
    assert "SLACK_BOT_TOKEN is not set" in said[0] and "deploy/slack-app-manifest.yml" in said[0]
    assert said[0].endswith("starting the playground instead")
    assert "Traceback" not in "\n".join(said)
    # A fresh clone's first start, with its month of history, is clean: nothing above INFO.
    levels = {line.split()[2] for line in said[1:] if len(line.split()) > 2}
    assert levels <= {"INFO"}, [line for line in said if " INFO " not in line]
    assert any("a month of history made" in line for line in said), said
    assert not (tmp_path / "sopbot.db").exists()  # a demo never writes the real database


def test_play_keeps_its_data_where_asked_and_takes_it_again(tmp_path: Path):
    database = tmp_path / "demo.db"
    for _ in range(2):  # the second time, on the database the first one made
        port = free_port()
        with sopbot(tmp_path, "play", "--database-url", f"sqlite:///{database}", port=port) as (
            process,
            lines,
        ):
            assert first_line(lines, process) == f"Playground: http://127.0.0.1:{port}/"
        assert process.returncode == 0
        assert database.exists()


def test_play_on_a_busy_port_says_which_setting_to_change(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with sopbot(tmp_path, "play", port=port) as (process, _):
            assert process.wait(timeout=STARTUP_TIMEOUT) == 2
        said = process.stderr.read().strip().splitlines()
    assert len(said) == 1 and f"127.0.0.1:{port}" in said[0] and "PORT" in said[0]
