"""Every command and press meets a size limit and a per-person pace before any listener."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db.feedback import Feedback
from bot.db.models import Event, Run
from bot.services import feedback
from bot.slack.guard.request_limits import MAX_COMMAND_TEXT, TOO_FAST, Throttle
from bot.slack.ids import Action
from bot.slacksim import FakeSlack
from bot.slacksim.clock import ManualClock
from bot.slacksim.seed import MARIA, PRIYA, SUPPORT
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.conversation import run_thread, step_with_buttons, visible_text

# A monotonic clock: small numbers keep float arithmetic exact enough for a token bucket.
START = datetime.fromtimestamp(1000, UTC)


@pytest.fixture
def ticks() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def paced(fake: FakeSlack, database_url: str, tmp_path: Path, ticks: ManualClock) -> Iterator[Bot]:
    """The bot allowing 3 requests in a row, then one every 2 seconds (30 a minute)."""
    throttle = Throttle(per_minute=30, burst=3, clock=ticks.time)
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with running_bot(fake, database_url, tmp_path / "sops", start=start, throttle=throttle) as bot:
        yield bot


def count(bot: Bot, model: type) -> int:
    with bot.runtime.database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def refusals(bot: Bot, user: str) -> int:
    """How many times `user` was told to slow down."""
    return sum(TOO_FAST in visible_text(e) for e in bot.fake.ephemerals(user))


def last_ephemeral(bot: Bot, user: str, seen: int) -> dict:
    return bot.fake.wait_for(
        lambda: (e := bot.fake.ephemerals(user)) and len(e) > seen and e[-1], what="an answer"
    )


def test_a_person_over_the_pace_is_refused_kindly_and_nothing_happens(
    paced: Bot, ticks: ManualClock
):
    bot = paced
    bot.slack.command(MARIA, "/sop", "list", channel=SUPPORT)
    bot.slack.command(MARIA, "/sop", "list", channel=SUPPORT)
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    step = step_with_buttons(bot, SUPPORT, parent["ts"], 1)
    lookups = count(bot, Event)

    refused = bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    assert refused.status == 200 and refused.acked_in_time
    assert refusals(bot, MARIA) == 1  # the ack itself carries it
    assert bot.slack.click(MARIA, step, Action.STEP_DONE).status == 200
    bot.fake.wait_for(lambda: refusals(bot, MARIA) == 2, what="the press refused")
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Run.current_step)).all() == [1]  # one run, not advanced
    assert count(bot, Event) == lookups

    # Someone else is not slowed down; Maria may go on after two seconds.
    bot.slack.command(PRIYA, "/sop", "refund", channel=SUPPORT)
    bot.fake.wait_for(lambda: count(bot, Run) == 2, what="Priya's run")
    ticks.advance(2)
    assert bot.slack.click(MARIA, step, Action.STEP_DONE).status == 200
    step_with_buttons(bot, SUPPORT, parent["ts"], 2)


def test_a_command_over_the_size_limit_is_refused_before_parsing(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
):
    parsed: list[int] = []
    real = feedback.parse_line
    monkeypatch.setattr(feedback, "parse_line", lambda text: parsed.append(len(text)) or real(text))
    huge = "refund 3 " + " " * 50_000 + "x"
    for command, text in (("/feedback", huge), ("/sop", "kpis " + "refund " * 1_000)):
        seen = len(bot.fake.ephemerals(MARIA))
        ack = bot.slack.command(MARIA, command, text, channel=SUPPORT)
        assert ack.status == 200 and ack.acked_in_time
        answer = visible_text(last_ephemeral(bot, MARIA, seen))
        assert "too long" in answer and f"{MAX_COMMAND_TEXT:,}" in answer
    assert parsed == [] and count(bot, Feedback) == 0

    seen = len(bot.fake.ephemerals(MARIA))
    bot.slack.command(MARIA, "/feedback", "refund 3 " + "x" * 2_000, channel=SUPPORT)
    assert "Thanks!" in visible_text(last_ephemeral(bot, MARIA, seen))
    assert parsed == [2_009] and count(bot, Feedback) == 1
