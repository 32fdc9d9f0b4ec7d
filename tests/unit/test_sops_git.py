"""SOPS_DIR in git: commits with the editor as author, push with one rebase, fast-forward sync."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.services.sops_git import Author, SopsGit, commit_message


def git(cwd: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(bare remote, the bot's clone, a colleague's clone), one SOP committed and pushed."""
    remote, mine, theirs = tmp_path / "remote.git", tmp_path / "mine", tmp_path / "theirs"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "clone", "-q", str(remote), str(mine))
    (mine / "sops").mkdir()
    (mine / "sops" / "tea.md").write_text("# Tea\n\n## Steps\n### Boil\n")
    (mine / "notes.txt").write_text("not an SOP\n")
    git(mine, "add", "sops/tea.md")
    git(mine, "commit", "-q", "-m", "first")
    git(mine, "push", "-q", "-u", "origin", "main")
    git(tmp_path, "clone", "-q", str(remote), str(theirs))
    return remote, mine, theirs


def test_a_commit_has_the_editor_as_author_sopbot_as_committer_and_only_its_file(repos):
    _, mine, _ = repos
    (mine / "sops" / "tea.md").write_text("# Tea\n\n## Steps\n### Boil fresh water\n")
    (mine / "notes.txt").write_text("changed, staged, not committed\n")
    git(mine, "add", "notes.txt")
    sops = SopsGit(mine / "sops")
    message = commit_message(slug="tea", what="edit step 1", note="  fresh   water ")
    sops.commit(paths=[mine / "sops" / "tea.md"], message=message, author=Author("Sam", "sam@x"))
    log = git(mine, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s")
    assert (
        log.strip() == "Sam <sam@x>|sopbot <sopbot@localhost>|sop(tea): edit step 1 — fresh water"
    )
    assert git(mine, "show", "--name-only", "--format=", "HEAD").split() == ["sops/tea.md"]
    assert "-### Boil\n+### Boil fresh water" in git(mine, "show", "--format=", "HEAD")
    assert "notes.txt" in git(mine, "diff", "--cached", "--name-only")  # still only staged


def test_push_goes_to_the_upstream_and_a_moved_remote_is_rebased_once(repos):
    remote, mine, theirs = repos
    sops = SopsGit(mine / "sops")
    (mine / "sops" / "tea.md").write_text("# Tea\n\n## Steps\n### Boil water\n")
    sops.commit(paths=[mine / "sops" / "tea.md"], message="sop(tea): a", author=Author("S", "s@x"))
    assert sops.push().status == "ok"
    assert "sop(tea): a" in git(remote, "log", "-1", "--format=%s", "main")
    # A colleague pushes another file; our next push is rejected, rebased and pushed.
    (theirs / "sops").mkdir(exist_ok=True)
    git(theirs, "pull", "-q")
    (theirs / "sops" / "coffee.md").write_text("# Coffee\n\n## Steps\n### Grind\n")
    git(theirs, "add", ".")
    git(theirs, "commit", "-q", "-m", "coffee")
    git(theirs, "push", "-q")
    (mine / "sops" / "tea.md").write_text("# Tea\n\n## Steps\n### Boil fresh water\n")
    sops.commit(paths=[mine / "sops" / "tea.md"], message="sop(tea): b", author=Author("S", "s@x"))
    assert sops.push().status == "rebased"
    assert git(remote, "log", "--format=%s", "main").split("\n")[:2] == ["sop(tea): b", "coffee"]


def test_a_conflicting_remote_fails_the_push_and_never_forces(repos):
    remote, mine, theirs = repos
    (theirs / "sops" / "tea.md").write_text("# Tea\n\n## Steps\n### Theirs\n")
    git(theirs, "commit", "-q", "-am", "theirs")
    git(theirs, "push", "-q")
    sops = SopsGit(mine / "sops")
    (mine / "sops" / "tea.md").write_text("# Tea\n\n## Steps\n### Mine\n")
    sops.commit(paths=[mine / "sops" / "tea.md"], message="sop(tea): m", author=Author("S", "s@x"))
    pushed = sops.push()
    assert pushed.status == "failed" and "rebase" in pushed.detail
    assert git(remote, "log", "-1", "--format=%s", "main").strip() == "theirs"
    assert git(mine, "status", "--porcelain").strip() == "?? notes.txt"  # rebase aborted


def test_pull_fast_forwards_and_refuses_a_dirty_tree(repos):
    _, mine, theirs = repos
    sops = SopsGit(mine / "sops")
    assert sops.pull().status == "unchanged"
    (theirs / "sops" / "tea.md").write_text("# Tea\n\n## Steps\n### Merged on the host\n")
    git(theirs, "commit", "-q", "-am", "host edit")
    git(theirs, "push", "-q")
    (mine / "sops" / "tea.md").write_text("# local, uncommitted\n")
    assert sops.pull().status == "refused"
    git(mine, "checkout", "--", "sops/tea.md")
    pulled = sops.pull()
    assert pulled.status == "updated" and pulled.changed == ("sops/tea.md",)
    assert "Merged on the host" in (mine / "sops" / "tea.md").read_text()


def test_outside_a_work_tree_there_is_no_root(tmp_path: Path):
    assert SopsGit(tmp_path).root() is None
