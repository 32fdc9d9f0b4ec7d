"""The playground history's plan: which runs are shown in Slack, and the Timeline's session."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.playground.clock import PlayClock
from bot.playground.history import shown_since
from bot.playground.timeline import Timeline


@pytest.mark.parametrize(
    ("start", "since"),
    [
        ("2026-11-25T10:00", "2026-11-24T10:00"),  # Wednesday: from Tuesday
        ("2026-11-30T08:30", "2026-11-27T08:30"),  # Monday: over the weekend to Friday
        ("2026-11-29T12:00", "2026-11-27T12:00"),  # Sunday: Friday too
        ("2026-11-28T12:00", "2026-11-27T12:00"),  # Saturday: Friday
    ],
)
def test_the_runs_shown_reach_back_to_the_last_working_day(start: str, since: str):
    at = datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert shown_since(at) == datetime.fromisoformat(since).replace(tzinfo=UTC)


def test_calls_share_a_transaction_until_a_job_commits_it():
    log: list[str] = []
    opened = iter(range(1, 100))

    names: dict[int, int] = {}

    @contextmanager
    def session():
        with Session(create_engine("sqlite://")) as s:
            names[id(s)] = n = next(opened)
            log.append(f"open {n}")
            yield s
            log.append(f"commit {n}")

    start = datetime(2026, 11, 1, 9, tzinfo=UTC)
    timeline = Timeline(PlayClock(start), session)
    at = start.replace(hour=10)

    def call(name: str):
        return lambda s, now: log.append(f"{name} in {names[id(s)]} {now:%H:%M}")

    timeline.call(at.replace(minute=30), call("b"))
    timeline.call(at, call("a"))
    timeline.job(at.replace(hour=11), lambda now: log.append(f"job {now:%H:%M}"))
    timeline.call(at.replace(hour=12), call("c"))
    timeline.call(at.replace(hour=23), call("too late"))
    assert timeline.play(until=at.replace(hour=22)) == 4
    assert log == [
        "open 1", "a in 1 10:00", "b in 1 10:30", "commit 1",
        "job 11:00", "open 2", "c in 2 12:00", "commit 2",
    ]  # fmt: skip
