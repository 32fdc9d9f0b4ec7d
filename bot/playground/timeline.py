"""Things to do at simulated past moments, done in time order on the playground clock."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.playground.clock import PlayClock

InSession = Callable[[Session, datetime], Any]  # a service call inside the open transaction
Job = Callable[[datetime], Any]  # work that opens its own transactions (publish, a tick)


class Timeline:
    """A schedule of service calls; `play()` moves the clock to each in turn and makes it.

    Service calls between two jobs share one transaction (a day's runs commit together, which
    keeps a month to a few seconds); a job first commits what came before it.
    """

    def __init__(self, clock: PlayClock, session: Callable[[], AbstractContextManager[Session]]):
        self._clock, self._session = clock, session
        self._items: list[tuple[datetime, int, bool, Callable]] = []
        self._order = itertools.count()

    def call(self, at: datetime, action: InSession) -> None:
        """Call `action(session, now)` at `at`."""
        self._items.append((at, next(self._order), False, action))

    def job(self, at: datetime, action: Job) -> None:
        """Call `action(now)` at `at`, after committing the calls before it."""
        self._items.append((at, next(self._order), True, action))

    def play(self, until: datetime) -> int:
        """Make every call due before `until`, in time order; returns how many were made."""
        items = sorted(i for i in self._items if i[0] < until)
        scope: AbstractContextManager[Session] | None = None
        session: Session | None = None
        try:
            for at, _, is_job, action in items:
                # A call that took simulated time (a quiz) may push the next one a little later.
                now = self._clock.advance_to(at)
                if is_job:
                    if scope is not None:
                        scope.__exit__(None, None, None)
                        scope = session = None
                    action(now)
                    continue
                if scope is None:
                    scope = self._session()
                    session = _keeping(scope.__enter__())
                action(session, now)
        except BaseException as exc:
            if scope is not None:
                scope.__exit__(type(exc), exc, exc.__traceback__)
                scope = None
            raise
        finally:
            if scope is not None:
                scope.__exit__(None, None, None)
        return len(items)


def _keeping(session: Session) -> Session:
    """`session`, holding on to every object it loads or adds until it closes.

    The identity map keeps objects only while something refers to them; a day's runs would
    load their SOP, revision, run and open step again at each call. Held, a call that needs
    them finds them in memory (the transaction is the history's only writer).
    """
    held: list[object] = []

    def hold(_session: Session, instance: object) -> None:
        held.append(instance)

    event.listen(session, "loaded_as_persistent", hold)
    event.listen(session, "pending_to_persistent", hold)
    return session
