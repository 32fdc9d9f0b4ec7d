"""The `sopbot` command as a user runs it: exit codes, one-line errors, output."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import SAMPLE_SOPS

BROKEN = """---
title: Broken
owner: nobody
colour: red
---
# Broken

## Roles
- **Agent**: does it

## Steps
### Do it
Role: Wizard

## Quiz
1. Which? (step 9)
   - [ ] a
   - [ ] b
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """An empty working directory with its own database and a copy of the samples."""
    shutil.copytree(SAMPLE_SOPS, tmp_path / "sops")
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "DIGEST_", "SOPBOT_")) or name in (
            "DATABASE_URL",
            "SOPS_DIR",
            "PORT",
            "MANAGER_CHANNEL",
            "REMIND_AFTER",
        ):
            monkeypatch.delenv(name)
    return tmp_path


def test_check_passes_on_the_samples(workdir, capsys):
    assert main(["sops", "check"]) == 0
    assert "5 SOP(s) OK" in capsys.readouterr().out


def test_check_lists_every_error_with_file_and_line(workdir, capsys):
    (workdir / "sops" / "broken.md").write_text(BROKEN)
    assert main(["sops", "check"]) == 1
    out = capsys.readouterr().out
    assert "broken.md:3:" in out  # owner
    assert "broken.md:4:" in out  # unknown key
    assert "broken.md:13:" in out  # unknown role
    assert "broken.md:16:" in out  # step 9 and no correct option
    assert out.count("broken.md:") == 5


def test_publish_then_publish_again_then_list_and_show(workdir, capsys):
    assert main(["sops", "publish"]) == 0
    first = capsys.readouterr().out
    assert sum(line.startswith("new ") for line in first.splitlines()) == 5
    assert "5 new revision(s)" in first
    assert main(["sops", "publish"]) == 0
    assert "0 new revision(s)" in capsys.readouterr().out
    assert main(["sops", "list"]) == 0
    assert "refund-request" in capsys.readouterr().out
    assert main(["sops", "show", "refund-request"]) == 0
    shown = capsys.readouterr().out
    assert shown.startswith("Handle a refund request  (v1)")
    assert "Quiz (pass mark 80%)" in shown


def test_show_an_unknown_revision_is_a_one_line_error(workdir, capsys):
    main(["sops", "publish"])
    capsys.readouterr()
    assert main(["sops", "show", "refund-request", "--revision", "7"]) == 2
    assert capsys.readouterr().err.strip() == (
        "sopbot: refund-request has no revision 7 (latest is v1)"
    )


def test_publish_with_errors_exits_1_and_writes_nothing(workdir, capsys):
    (workdir / "sops" / "broken.md").write_text(BROKEN)
    assert main(["sops", "publish"]) == 1
    assert "nothing was published" in capsys.readouterr().out
    assert main(["sops", "list"]) == 0
    assert "no SOPs published yet" in capsys.readouterr().out


def run_sopbot(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DIGEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_setting_is_one_line_exit_2_no_traceback(tmp_path):
    result = run_sopbot("sops", "list", env={"DIGEST_TZ": "Mars/Base"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "sopbot: DIGEST_TZ='Mars/Base' is not a time zone; use an IANA name such as Europe/Berlin"
    ]
    assert "Traceback" not in result.stderr


def test_dotenv_is_read_but_the_real_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("DIGEST_TZ=Mars/Base\nPORT=nope\n")
    result = run_sopbot("sops", "list", env={"PORT": "3000"}, cwd=tmp_path)
    assert result.returncode == 2 and "DIGEST_TZ" in result.stderr
    result = run_sopbot("sops", "list", env={"DIGEST_TZ": "UTC"}, cwd=tmp_path)
    assert result.returncode == 2 and "PORT='nope'" in result.stderr


def test_every_command_is_listed_with_its_help_and_parses_as_its_module_says():
    """`sopbot --help` lists each command, with the help COMMANDS gives, without importing it."""
    import argparse
    import importlib

    from bot.cli import COMMANDS, build_parser

    for name, (module, listed) in COMMANDS.items():
        own = argparse.ArgumentParser(prog="sopbot").add_subparsers()
        importlib.import_module(module).register(own)
        assert list(own.choices) == [name]
        (loaded,) = [a for a in build_parser()._actions if a.dest == "command"]
        assert [a.help for a in loaded._choices_actions if a.dest == name] == [listed]
        assert loaded.load(name).format_help() == own.choices[name].format_help()
