"""SOPS_DIR in git: each edit from Slack is a commit by its editor, pushed when asked."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bot.jobs.git_sync import sync_job
from bot.services import cast
from bot.slacksim.seed import PRIYA, SAM
from tests.e2e.authoring_helpers import revisions, sop_edit
from tests.e2e.conftest import Bot
from tests.e2e.conversation import deliver, visible_text

ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@x",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@x",
    "PATH": "/usr/bin:/bin",
}


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**ENV, "HOME": str(cwd)}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def remote(bot: Bot, tmp_path: Path) -> Path:
    """The bot's SOPS_DIR as a clone of a bare repository holding the sample SOPs."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(bot.sops_dir, "init", "-q", "-b", "main")
    git(bot.sops_dir, "add", ".")
    git(bot.sops_dir, "commit", "-q", "-m", "samples")
    git(bot.sops_dir, "remote", "add", "origin", str(bare))
    git(bot.sops_dir, "push", "-q", "-u", "origin", "main")
    (bot.sops_dir / "scratch.txt").write_text("not an SOP, never committed by sopbot\n")
    return bare


def edit_step_3(bot: Bot) -> None:
    view = sop_edit(bot, SAM, "refund 3")
    assert view is not None
    body = next(b for b in view["blocks"] if b["block_id"] == "edit-body")["element"]
    words = body["initial_value"].replace("$200 or less", "$250 or less")
    bot.slack.submit_view(SAM, view, {"edit-body": words, "edit-note": "new limit"})


def test_an_edit_is_committed_by_its_editor_and_pushed(bot: Bot, remote: Path):
    bot.runtime.settings = replace(bot.runtime.settings, sops_git_push=True)
    edit_step_3(bot)
    log = bot.fake.wait_for(
        lambda: "sop(" in (out := git(remote, "log", "-1", "--format=%an <%ae>|%cn|%s")) and out,
        what="the pushed commit",
    )
    assert (
        log.strip() == "Sam <sam@example.com>|sopbot|sop(refund-request): edit step 3 — new limit"
    )
    shown = git(remote, "show", "--format=", "main")
    assert shown.count("diff --git") == 1 and "support/refund-request.md" in shown
    changed = [line for line in shown.splitlines() if line[:1] in "-+" and line[:3] not in "---+++"]
    assert changed == [
        "-$200 or less, the order is within 30 days, and the account has fewer than",
        "+$250 or less, the order is within 30 days, and the account has fewer than",
    ]
    assert "scratch.txt" in git(bot.sops_dir, "status", "--porcelain")


def test_a_failed_push_tells_the_editor_and_admins_and_keeps_the_revision(
    bot: Bot, remote: Path, tmp_path: Path
):
    settings = bot.runtime.settings
    bot.runtime.settings = replace(settings, sops_git_push=True, admins=frozenset({SAM}))
    # Someone else changes the same lines on the remote: the rebase cannot succeed.
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    path = other / "support" / "refund-request.md"
    path.write_text(path.read_text().replace("$200 or less", "$190 or less"))
    git(other, "commit", "-q", "-am", "theirs")
    git(other, "push", "-q")
    edit_step_3(bot)

    def told() -> list[dict]:
        deliver(bot)
        return [m for m in bot.fake.dms(SAM) if "git did not take it" in visible_text(m)]

    [message] = bot.fake.wait_for(told, what="the editor told")
    assert "v2 of Handle a refund request is published" in visible_text(message)
    assert git(remote, "log", "-1", "--format=%s").strip() == "theirs"
    assert "$250 or less" in (bot.sops_dir / "support" / "refund-request.md").read_text()


def test_pull_sync_fast_forwards_and_publishes_once_per_interval(
    bot: Bot, remote: Path, tmp_path: Path
):
    settings = bot.runtime.settings
    bot.runtime.settings = replace(
        settings, sops_git_pull_every_seconds=300, admins=frozenset({SAM})
    )
    assert sync_job(bot.job_context) == "unchanged"
    assert sync_job(bot.job_context) == "taken"  # the same five minutes: claimed already
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    path = other / "support" / "refund-request.md"
    path.write_text(path.read_text().replace("$200 or less", "$300 or less"))
    git(other, "commit", "-q", "-am", "merged on the host")
    git(other, "push", "-q")
    bot.clock.advance(minutes=5)
    assert sync_job(bot.job_context) == "updated"
    assert "$300 or less" in (bot.sops_dir / "support" / "refund-request.md").read_text()
    assert [r.number for r in revisions(bot)] == [1, 2]
    # A local change that is not committed is never overwritten: the admins hear of it.
    mine = bot.sops_dir / "support" / "refund-request.md"
    mine.write_text(mine.read_text() + "\nlocal note\n")
    bot.clock.advance(minutes=5)
    assert sync_job(bot.job_context) == "refused"
    assert mine.read_text().endswith("local note\n")
    deliver(bot)
    assert "could not update SOPS_DIR from git" in visible_text(bot.fake.dms(SAM)[-1])


def test_a_cast_pulled_from_git_holds_at_once(bot: Bot, remote: Path, tmp_path: Path):
    bot.runtime.settings = replace(bot.runtime.settings, sops_git_pull_every_seconds=300)
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    path = other / "support" / "refund-request.md"
    path.write_text(path.read_text().replace(f'"Team lead": "{SAM}"', f'"Team lead": "{PRIYA}"'))
    git(other, "commit", "-q", "-am", "Priya leads now")
    git(other, "push", "-q")
    assert sync_job(bot.job_context) == "updated"
    with bot.runtime.database.session() as session:  # not a day later, with the daily pass
        assert cast.holders(session, sop="refund-request", role="Team lead") == [PRIYA]
