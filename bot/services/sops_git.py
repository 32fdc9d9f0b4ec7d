"""SOPS_DIR as a git work tree: commit each change from Slack, push it, fast-forward from upstream.

Uses the `git` command through subprocess, not a library: every host that keeps SOPs in git
has it, it brings the user's own credentials, hooks and config (SSH keys, credential helpers)
for push and fetch, and no Python binding (GitPython itself shells out to `git`; pygit2 needs
libgit2 and its own credential set-up) would add anything but a dependency.
Never force-pushes, and commits only the paths it is given.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

COMMITTER = ("sopbot", "sopbot@localhost")
TIMEOUT_SECONDS = 60
# A rebase writes commits too: sopbot is the committer of everything it writes.
COMMITTER_ENV = {"GIT_COMMITTER_NAME": COMMITTER[0], "GIT_COMMITTER_EMAIL": COMMITTER[1]}
# One process's commits, pushes and pulls one at a time (the index is shared).
_LOCK = threading.Lock()


class GitError(RuntimeError):
    """A git command failed; the message is git's own last line."""


@dataclass(frozen=True)
class Author:
    """Who made the change, as git records it."""

    name: str
    email: str


@dataclass(frozen=True)
class Pushed:
    """What pushing did: `ok`, `rebased` (the remote had moved) or `failed` with why."""

    status: str
    detail: str = ""


@dataclass(frozen=True)
class Pulled:
    """What a sync did: `unchanged`, `updated` (files changed) or `refused` with why."""

    status: str
    detail: str = ""
    changed: tuple[str, ...] = ()


class SopsGit:
    """git commands run in the work tree that holds SOPS_DIR."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _git(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.directory,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **COMMITTER_ENV, **(env or {})},
            check=False,
        )
        if check and done.returncode != 0:
            lines = (done.stderr or done.stdout).strip().splitlines()
            raise GitError(lines[-1] if lines else f"git {args[0]} failed ({done.returncode})")
        return done.stdout

    def root(self) -> Path | None:
        """The work tree's top folder, or None when SOPS_DIR is not in one (or git is missing)."""
        try:
            out = self._git("rev-parse", "--show-toplevel", check=False).strip()
        except (OSError, subprocess.SubprocessError):
            return None
        return Path(out) if out else None

    def commit(self, *, paths: list[Path], message: str, author: Author) -> str:
        """Commit exactly `paths` (nothing else staged goes in); return the commit's hash."""
        names = [str(p.resolve()) for p in paths]
        with _LOCK:
            self._git("add", "--", *names)
            self._git(
                "commit",
                "--no-verify",
                f"--author={author.name} <{author.email}>",
                "-m",
                message,
                "--only",
                "--",
                *names,
            )
            return self._git("rev-parse", "HEAD").strip()

    def upstream(self) -> tuple[str, str]:
        """(remote, branch ref) the current branch tracks."""
        branch = self._git("symbolic-ref", "--short", "HEAD").strip()
        remote = self._git("config", f"branch.{branch}.remote", check=False).strip()
        merge = self._git("config", f"branch.{branch}.merge", check=False).strip()
        if not remote or not merge:
            raise GitError(f"branch {branch} has no upstream; run: git push -u REMOTE {branch}")
        return remote, merge

    def push(self) -> Pushed:
        """Push HEAD to its upstream; when rejected, rebase on the remote and try once more."""
        with _LOCK:
            try:
                remote, merge = self.upstream()
                first = self._try_push(remote, merge)
                if first is None:
                    return Pushed("ok")
                self._git("fetch", remote, merge)
                try:
                    self._git("rebase", "FETCH_HEAD")
                except GitError as exc:
                    self._git("rebase", "--abort", check=False)
                    return Pushed("failed", f"rebase on {remote} failed: {exc}")
                second = self._try_push(remote, merge)
                if second is None:
                    return Pushed("rebased")
                return Pushed("failed", second)
            except GitError as exc:
                return Pushed("failed", str(exc))

    def _try_push(self, remote: str, merge: str) -> str | None:
        try:
            self._git("push", "--porcelain", remote, f"HEAD:{merge}")
        except GitError as exc:
            return str(exc)
        return None

    def pull(self) -> Pulled:
        """Fast-forward from the upstream; a dirty tree or diverged history is refused."""
        with _LOCK:
            try:
                remote, merge = self.upstream()
                dirty = self._git("status", "--porcelain", "--untracked-files=no").strip()
                if dirty:
                    return Pulled("refused", "the work tree has uncommitted changes")
                self._git("fetch", remote, merge)
                before = self._git("rev-parse", "HEAD").strip()
                try:
                    self._git("merge", "--ff-only", "FETCH_HEAD")
                except GitError as exc:
                    return Pulled("refused", f"not a fast-forward: {exc}")
                after = self._git("rev-parse", "HEAD").strip()
                if after == before:
                    return Pulled("unchanged")
                changed = self._git("diff", "--name-only", before, after).split()
                return Pulled("updated", changed=tuple(changed))
            except GitError as exc:
                return Pulled("refused", str(exc))


def commit_message(*, slug: str, what: str, note: str) -> str:
    """`sop(refund-request): edit step 3 — the approval link moved`."""
    note = " ".join(note.split())
    return f"sop({slug}): {what}" + (f" — {note}" if note else "")


def commit_and_push(
    directory: Path, *, paths: list[Path], message: str, author: Author, push: bool
) -> str | None:
    """Commit `paths` when SOPS_DIR is a git work tree, push when asked; None or what failed."""
    git = SopsGit(directory)
    if git.root() is None:
        return None
    try:
        git.commit(paths=paths, message=message, author=author)
    except Exception as exc:  # noqa: BLE001 - the caller tells people; the revision stands
        return f"commit failed: {exc}"
    if push:
        pushed = git.push()
        if pushed.status == "failed":
            return f"push failed: {pushed.detail}"
    return None
