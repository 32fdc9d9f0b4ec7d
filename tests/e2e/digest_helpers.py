"""Helpers for the digest end-to-end tests: a bot with digest settings, running its jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

import pytest

from bot.jobs import digest as digest_jobs
from bot.runtime import Runtime
from bot.slacksim import FakeSlack
from bot.slacksim.seed import OPS_MANAGERS
from bot.wiring import build_job_context
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.conversation import deliver, visible_text

MakeBot = Callable[..., Bot]


@pytest.fixture
def make_bot(fake: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[MakeBot]:
    """A factory for the real bot over HTTP whose clock starts at `start`.

    The digest goes to #ops-managers at 09:00 Europe/Berlin unless told otherwise.
    """
    with ExitStack() as running:

        def make(start: datetime, **changes: object) -> Bot:

            settings = {"manager_channel": OPS_MANAGERS, "digest_tz": "Europe/Berlin", **changes}
            bot = running_bot(fake, database_url, tmp_path / "sops", start=start, **settings)
            return running.enter_context(bot)

        yield make


def set_clock(bot: Bot, moment: datetime) -> None:
    """Move the bot's clock forward to `moment`."""
    now = bot.clock()
    assert moment >= now, "the clock only moves forward"
    bot.clock.advance(seconds=(moment - now).total_seconds())


def run_jobs(bot: Bot, runtime: Runtime | None = None) -> list[str]:
    """One digest tick as the scheduler runs it, then the outbox, then the chart upload."""
    job = bot.job_context if runtime is None else build_job_context(runtime)
    done = digest_jobs.tick(job)
    deliver(bot)
    digest_jobs.tick(job)  # the chart goes up once the message is out
    deliver(bot)
    return done


def digests_posted(bot: Bot) -> list[dict]:
    """The digest messages in #ops-managers."""
    return [m for m in bot.fake.messages(OPS_MANAGERS) if "Daily digest" in visible_text(m)]


def chart_replies(bot: Bot, digest: dict) -> list[dict]:
    """Replies in the digest's thread that carry a file."""
    return [m for m in bot.fake.thread(OPS_MANAGERS, digest["ts"])[1:] if m.get("files")]


def latest_ephemeral(bot: Bot, user: str, seen: int) -> dict:
    """The newest ephemeral for `user` once there are more than `seen`."""
    return bot.fake.wait_for(
        lambda: len(e := bot.fake.ephemerals(user)) > seen and e[-1], what="an answer"
    )
