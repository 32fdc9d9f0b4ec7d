"""One-shot commands load only what they use: no Slack library, web server or scheduler."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import CHILD_PYTHONPATH, SAMPLE_SOPS

# What `sopbot run` and `sopbot worker` need and a one-shot command does not.
SERVING = ("slack_bolt", "slack_sdk", "waitress", "apscheduler", "prometheus_client")
# What only parsing SOP files needs (and the Slack layer, which renders Markdown).
PARSING = ("markdown_it",)

# Runs each command (one argv per line of input) in turn in one process and prints, after
# each, its exit code and which of WATCHED it has loaded so far.
CHILD = """
import json, sys
from bot.cli import main
for line in sys.stdin:
    try:
        code = main(json.loads(line))
    except SystemExit as exc:  # --help
        code = exc.code
    loaded = [name for name in WATCHED if name in sys.modules]
    print("LOADED " + json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def loaded_after(
    commands: list[list[str]], *, database_url: str, cwd: Path, watched: tuple[str, ...] = SERVING
) -> list[dict]:
    """Run `commands` in one child process; which of `watched` each left loaded, in order."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))},
        "DATABASE_URL": database_url,
        "SOPS_DIR": str(cwd / "sops"),
        "PYTHONPATH": CHILD_PYTHONPATH,
    }
    done = subprocess.run(
        [sys.executable, "-c", f"WATCHED = {watched!r}\n{CHILD}"],
        input="".join(json.dumps(argv) + "\n" for argv in commands),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("LOADED ")]
    return [json.loads(line.removeprefix("LOADED ")) for line in lines]


def test_publish_and_the_other_one_shot_commands_load_no_slack_library(
    database_url: str, tmp_path: Path
):
    shutil.copytree(SAMPLE_SOPS, tmp_path / "sops")
    commands = [
        ["--help"],
        ["db", "upgrade"],
        ["sops", "check"],
        ["sops", "publish"],  # every file new
        ["sops", "publish"],  # nothing changed
        ["sops", "list"],
        ["sops", "show", "refund-request"],
        ["outbox"],
        ["outbox", "retry"],
    ]
    after = loaded_after(commands, database_url=database_url, cwd=tmp_path)
    assert [a["code"] for a in after] == [0] * len(commands)
    assert {" ".join(c): a["loaded"] for c, a in zip(commands, after, strict=True)} == {
        " ".join(c): [] for c in commands
    }


def test_a_publish_with_nothing_changed_loads_no_markdown_parser(database_url: str, tmp_path: Path):
    shutil.copytree(SAMPLE_SOPS, tmp_path / "sops")
    first = loaded_after([["sops", "publish"]], database_url=database_url, cwd=tmp_path)
    assert first == [{"code": 0, "loaded": []}]  # SERVING
    commands = [["sops", "publish"], ["sops", "list"], ["db", "upgrade"], ["outbox"]]
    after = loaded_after(commands, database_url=database_url, cwd=tmp_path, watched=PARSING)
    assert after == [{"code": 0, "loaded": []}] * len(commands)
