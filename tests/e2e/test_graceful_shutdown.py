"""SIGTERM to a real `sopbot run` or `sopbot worker` mid-work: exit 0, nothing lost or doubled."""

from __future__ import annotations

import urllib.error
from pathlib import Path

import pytest

from bot.db import migrate, outbox
from bot.db.models import utcnow
from bot.db.outbox import SENT
from bot.slacksim import FakeSlack
from bot.slacksim.driver import SlackDriver
from bot.slacksim.seed import ANA, JO, MARIA, PRIYA, SUPPORT, TOM
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.conversation import visible_text
from tests.e2e.delivery_fixtures import add_people, dm_counts, enqueue_dms, rows, wait_settled
from tests.e2e.processes import (
    FAST_WORKER,
    fetch,
    sopbot_env,
    start_sopbot,
    wait_ready,
    wait_started,
)

PEOPLE = (MARIA, PRIYA, JO, TOM, ANA)


def runs_started(fake: FakeSlack) -> list[dict]:
    return [m for m in fake.messages(SUPPORT) if "Handle a refund request" in visible_text(m)]


def test_sigterm_to_sopbot_run_finishes_the_work_after_the_ack_and_exits_0(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    bot = start_sopbot(
        ["run"], sopbot_env(fake, database_url, SHUTDOWN_GRACE="15"), tmp_path, name="run"
    )
    try:
        wait_ready(bot)
        fake.slow("chat.postMessage", 1.0)  # each run's first post is still on its way
        slack = SlackDriver(fake, f"{bot.url}/slack/events", SIGNING_SECRET)
        for person in PEOPLE:
            assert slack.command(person, "/sop", "refund", channel=SUPPORT).status == 200
        assert len(runs_started(fake)) < len(PEOPLE), "SIGTERM must come mid-work"
        bot.process.send_signal(15)
        assert bot.process.wait(timeout=60) == 0, bot.log()[-3000:]
    finally:
        bot.kill()

    # Each acked command did its work exactly once: one run, its first step in the thread.
    started = runs_started(fake)
    assert len(started) == len(PEOPLE)
    for parent in started:
        steps = [
            m for m in fake.thread(SUPPORT, parent["ts"])[1:] if "Step 1 of 7" in visible_text(m)
        ]
        assert len(steps) == 1
    log = bot.log()
    assert f"after-ack work: {len(PEOPLE)} finished, 0 handed back, 0 still running" in log
    assert "Traceback" not in log
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        fetch(f"{bot.url}/healthz", timeout=2)  # the port is closed


def test_sigterm_to_a_worker_mid_fan_out_hands_its_rows_back_for_the_next_at_once(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    database = migrate.open_current(database_url, now=utcnow())
    people = add_people(fake, 300)
    enqueue_dms(database, people)
    env = sopbot_env(fake, database_url, SHUTDOWN_GRACE="10")
    try:
        # The default lease (120 s): had the rows not been handed back, the second worker
        # could not take them within wait_settled's time.
        first = start_sopbot(["worker", *FAST_WORKER], env, tmp_path, name="worker1")
        try:
            wait_started(first)
            fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 60, 60, what="60 posts")
            assert first.terminate() == 0, first.log()[-3000:]
        finally:
            first.kill()
        left = [r for r in rows(database) if r.state != SENT]
        assert left, "SIGTERM must come mid fan-out"
        assert [r for r in rows(database) if r.lease_owner is not None] == []
        assert "Traceback" not in first.log()

        second = start_sopbot(["worker", *FAST_WORKER], env, tmp_path, name="worker2")
        try:
            wait_settled(fake, database, timeout=60)
            assert second.terminate() == 0, second.log()[-3000:]
        finally:
            second.kill()
        assert set(dm_counts(fake, people).values()) == {1}
        with database.session() as session:
            assert outbox.counts_by_state(session)[SENT] == 300
    finally:
        database.dispose()
