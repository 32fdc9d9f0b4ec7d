"""Republishes SOPS_DIR whenever a file in it changes (mtime polling, no extra dependency)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.services.publish import PublishReport

log = logging.getLogger(__name__)

Snapshot = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class PublishResult:
    """One publish as the page shows it: errors (`file:line: message`) or what changed."""

    at: datetime
    errors: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()  # `sopbot sops publish` lines for new, changed and retired SOPs
    mark: int = 0  # calls the fake had answered before: later DMs are this publish's doing
    changed: tuple[str, ...] = ()  # slugs of the SOPs that got a new revision


@dataclass
class SopWatcher:
    """Polls file mtimes once a second and republishes on any change, as an author saves."""

    directory: Path
    publish: Callable[[], PublishReport | None]
    clock: Callable[[], datetime]
    mark: Callable[[], int] = lambda: 0
    on_change: Callable[[], object] = lambda: None
    interval: float = 1.0
    last: PublishResult | None = None
    history: list[PublishResult] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._seen: Snapshot = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> Snapshot:
        """(mtime, size) of every file under the folder; a save changes at least one of them."""
        if not self.directory.is_dir():
            return {}
        found: Snapshot = {}
        for path in self.directory.rglob("*"):
            try:
                if path.is_file():
                    stat = path.stat()
                    found[path.relative_to(self.directory).as_posix()] = (
                        stat.st_mtime_ns,
                        stat.st_size,
                    )
            except OSError:
                continue  # removed while we looked; the next poll sees it gone
        return found

    def republish(self) -> PublishResult:
        """Publish the folder now and remember the outcome."""
        with self._lock:
            self._seen = self.snapshot()
            mark = self.mark()
            report = self.publish()
            if report is None:
                result = PublishResult(self.clock(), errors=(f"{self.directory} is not a folder",))
            else:
                changed = [o for o in report.outcomes if o.status != "unchanged"]
                lines = tuple(line.strip() for o in changed for line in o.describe())
                slugs = tuple(o.slug for o in report.new_revisions)
                errors = tuple(str(e) for e in report.errors)
                result = PublishResult(self.clock(), errors, lines, mark, slugs)
            self.last = result
            self.history = [*self.history[-19:], result]
        self.on_change()
        return result

    def poll(self) -> PublishResult | None:
        """Republish when anything changed since the last look."""
        if self.snapshot() == self._seen:
            return None
        return self.republish()

    def start(self) -> SopWatcher:
        self._thread = threading.Thread(target=self._loop, name="sops-watcher", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:
                # A half-written file or a busy database must not stop the preview for good:
                # forget what was seen, so the next poll tries again.
                log.exception("playground: republishing %s failed", self.directory)
                self._seen = {}

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
