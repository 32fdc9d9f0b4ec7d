"""The history's people at work on runs: through the services alone, or through Slack's buttons.

A month of runs goes straight to the services (nothing of it would still be on screen); the last
day's runs are started and pressed through the bot's own Runner, so #support shows their threads
as a running bot would have left them: the parent message, each step, hand-offs, the summary.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.db.models import SopRecord
from bot.runtime import Runtime
from bot.services import handoffs, runs
from bot.services.runs import RunState
from bot.slack.payload import Caller
from bot.slack.runs.runner import Runner
from bot.wiring import build_slack

log = logging.getLogger(__name__)


class Hands(Protocol):
    """Start a run, press Done, take a handed step, stop a run; each returns the run after."""

    def start(
        self, session: Session | None, now: datetime, *, record: SopRecord, who: str, channel: str
    ) -> RunState | None: ...

    def done(
        self, session: Session | None, now: datetime, *, state: RunState, who: str
    ) -> RunState | None: ...

    def take(self, session: Session | None, now: datetime, *, visit_id: int, who: str) -> None: ...

    def stop(self, session: Session | None, now: datetime, *, run_id: int, who: str) -> None: ...


class ServiceHands:
    """The services only, inside the timeline's open transaction."""

    def start(
        self, session: Session | None, now: datetime, *, record: SopRecord, who: str, channel: str
    ) -> RunState:
        state, _ = runs.start_run(
            _open(session), record=record, user_id=who, channel_id=channel, now=now
        )
        return state

    def done(
        self, session: Session | None, now: datetime, *, state: RunState, who: str
    ) -> RunState | None:
        assert state.visit_id is not None
        return runs.complete_step(_open(session), visit_id=state.visit_id, user_id=who, now=now).run

    def take(self, session: Session | None, now: datetime, *, visit_id: int, who: str) -> None:
        handoffs.take(_open(session), visit_id=visit_id, user_id=who, now=now)

    def stop(self, session: Session | None, now: datetime, *, run_id: int, who: str) -> None:
        runs.stop_run(_open(session), run_id=run_id, user_id=who, now=now)


def _open(session: Session | None) -> Session:
    assert session is not None, "service hands work inside the timeline's transaction"
    return session


class SlackHands:
    """The buttons' own code (Runner), each press in its own transactions, as in Slack."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.runner = Runner(build_slack(runtime))

    def start(
        self, session: Session | None, now: datetime, *, record: SopRecord, who: str, channel: str
    ) -> RunState | None:
        self.runner.start(slug=record.slug, caller=Caller(who), channel_id=channel,
                          respond=self._respond)  # fmt: skip
        with self.runtime.database.session() as s:
            newest = runs.unfinished_runs(s, user_id=who, limit=1)
        # None when the bot said no (say, an edited SOP hides it from them): no run to go on with.
        started = newest[0] if newest and newest[0].started_at >= now else None
        return started if started is not None and started.slug == record.slug else None

    def done(
        self, session: Session | None, now: datetime, *, state: RunState, who: str
    ) -> RunState | None:
        assert state.visit_id is not None
        self.runner.done(visit_id=state.visit_id, caller=Caller(who), respond=self._respond)
        return self._run(state.run_id)

    def take(self, session: Session | None, now: datetime, *, visit_id: int, who: str) -> None:
        self.runner.handoffs.take(visit_id=visit_id, caller=Caller(who), respond=self._respond)

    def stop(self, session: Session | None, now: datetime, *, run_id: int, who: str) -> None:
        self.runner.stop(run_id=run_id, caller=Caller(who), respond=self._respond)

    def _run(self, run_id: int) -> RunState | None:
        with self.runtime.database.session() as s:
            return runs.get_run(s, run_id=run_id)

    def _respond(self, *args: Any, **kwargs: Any) -> None:
        # A press the bot refuses would be answered to the presser alone; the story makes none.
        text = kwargs.get("text") or (args[0] if args and isinstance(args[0], str) else "")
        log.info("playground history: a press was answered: %s", text)
