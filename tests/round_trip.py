"""After-ack work that crosses a pickle as it would to sopbot run's work process, then runs here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.slack.guard.work_process import Sharing, WorkProcess


class RoundTripWork(WorkProcess):
    """Pickles every piece of work exactly as for the child (`share` names the root first)."""

    sharing: Sharing | None = None

    def share(self, root: object) -> None:
        """What crosses by name: `root` (the SlackContext) and what hangs from it."""
        self.sharing = Sharing(root)

    def submit(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Round-trip the work through the child's pickling, then hand it to the threads."""
        assert self.sharing is not None, "share() the context first"
        work, args, kwargs = self.sharing.loads(self.sharing.dumps((work, args, kwargs)))
        super().submit(work, *args, **kwargs)
