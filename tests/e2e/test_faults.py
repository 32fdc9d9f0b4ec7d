"""Faults against real `sopbot run --no-worker` and `sopbot worker` processes on PostgreSQL.

The database goes away mid fan-out and mid request; Slack answers 5xx to every call for a
while. Nothing may be lost or doubled, and people must hear "try again" in time. The Slack
outage lasts SLACK_OUTAGE_SECONDS (default 6); scripts/fault-slack-outage runs it for 60.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.db import migrate, outbox
from bot.db.models import utcnow
from bot.db.outbox import SENT
from bot.db.session import Database
from bot.jobs.ratelimit import DeliveryLimits
from bot.slack.guard.unavailable import DATABASE_DOWN
from bot.slacksim import FakeSlack
from bot.slacksim.driver import SlackDriver
from bot.slacksim.seed import MARIA, SUPPORT
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.conversation import visible_text
from tests.e2e.delivery_fixtures import add_people, dm_counts, enqueue_dms, rows, wait_settled
from tests.e2e.metrics_scrape import scrape, value
from tests.e2e.processes import (
    Sopbot,
    fetch,
    sopbot_env,
    start_sopbot,
    wait_ready,
    wait_started,
)
from tests.e2e.tcp_proxy import TcpProxy

SLACK_WINDOW = 3.0  # Slack's time for an ack, and for a person to see an answer at all
DATABASE_OUTAGE = 10.0
SLACK_OUTAGE = float(os.environ.get("SLACK_OUTAGE_SECONDS", "6"))
PER_MINUTE = 600  # the worker's chat.postMessage budget in the Slack outage test
BURST = 3  # DeliveryLimits.burst


@pytest.fixture
def pg_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("fault tests run on PostgreSQL (set TEST_DATABASE_URL)")
    return database_url


@pytest.fixture
def database(pg_url: str) -> Iterator[Database]:
    """The test's database, reached directly (not through the proxy)."""
    db = migrate.open_current(pg_url, now=utcnow())  # as every sopbot process opens it
    yield db
    db.dispose()


@pytest.fixture
def proxy(pg_url: str) -> Iterator[TcpProxy]:
    url = make_url(pg_url)
    with TcpProxy((url.host or "127.0.0.1", url.port or 5432)) as running:
        yield running


@pytest.fixture
def processes() -> Iterator[list[Sopbot]]:
    """Every process a test starts; each is stopped with SIGTERM, and must exit 0."""
    started: list[Sopbot] = []
    yield started
    codes = []
    for bot in started:
        try:
            codes.append(bot.terminate())
        finally:
            bot.kill()
    assert codes == [0] * len(started), [b.log()[-2000:] for b in started]


def through(proxy: TcpProxy, url: str) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


def runs_started(fake: FakeSlack) -> int:
    return sum("Handle a refund request" in visible_text(m) for m in fake.messages(SUPPORT))


def test_database_gone_10s_mid_fan_out_and_mid_requests(
    fake: FakeSlack, pg_url: str, database: Database, proxy: TcpProxy, tmp_path: Path, processes
):
    people = add_people(fake, 300)
    enqueue_dms(database, people)
    env = sopbot_env(fake, through(proxy, pg_url))
    web = start_sopbot(["run", "--no-worker"], env, tmp_path, name="web")
    processes.append(web)
    wait_ready(web)
    # A short lease: a row whose "sent" could not be written is taken again soon after.
    fast = ["--per-minute", "1200", "--tier3-per-minute", "6000", "--lease", "10"]
    worker = start_sopbot(["worker", *fast], env, tmp_path, name="worker")
    processes.append(worker)
    wait_started(worker)
    fake.wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 60, 60, what="60 posts")

    proxy.cut()
    cut_at = time.monotonic()
    slack = SlackDriver(fake, f"{web.url}/slack/events", SIGNING_SECRET)
    answered = []
    while time.monotonic() - cut_at < DATABASE_OUTAGE:
        before = len(fake.ephemerals(MARIA))
        sent = time.monotonic()
        assert slack.command(MARIA, "/sop", "refund", channel=SUPPORT).acked_in_time
        notes = fake.wait_for(
            lambda n=before: fake.ephemerals(MARIA)[n:], timeout=10, what="an answer"
        )
        answered.append((time.monotonic() - sent, visible_text(notes[-1])))
    assert fetch(f"{web.url}/readyz")[0] == 503
    sent_in_outage = len(fake.calls_to("chat.postMessage"))
    proxy.heal()

    assert len(answered) >= 3
    assert [DATABASE_DOWN in text for _, text in answered] == [True] * len(answered)
    assert max(seconds for seconds, _ in answered) < SLACK_WINDOW
    # Both processes recover on their own.
    fake.wait_for(lambda: fetch(f"{web.url}/readyz")[0] == 200, 30, what="ready again")
    runs_before = runs_started(fake)
    assert slack.command(MARIA, "/sop", "refund", channel=SUPPORT).acked_in_time
    fake.wait_for(lambda: runs_started(fake) > runs_before, 30, what="a run after the outage")
    wait_settled(fake, database, timeout=120)
    assert sent_in_outage < 300, "the outage came mid fan-out"
    assert set(dm_counts(fake, people).values()) == {1}
    assert {r.state for r in rows(database)} == {SENT}
    assert web.process.poll() is None and worker.process.poll() is None


def busiest(times: list[float], *, window: float) -> int:
    """The most calls any `window` seconds hold."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


def test_slack_5xx_on_every_call_loses_nothing_and_drains_within_the_budget(
    fake: FakeSlack, pg_url: str, database: Database, tmp_path: Path, processes
):
    people = add_people(fake, 100)
    enqueue_dms(database, people)
    fake.chaos("*", rate=1.0, errors=("internal_error", "service_unavailable"))
    args = ["worker", "--per-minute", str(PER_MINUTE), "--tier3-per-minute", "6000"]
    worker = start_sopbot(args, sopbot_env(fake, pg_url), tmp_path, name="worker", metrics=True)
    processes.append(worker)
    wait_started(worker)
    outage_over = threading.Event()
    # The outage is the scenario's length, not a guess at how long something takes.
    outage_over.wait(SLACK_OUTAGE)
    during = scrape(worker.metrics_url)
    fake.calm()

    wait_settled(fake, database, timeout=SLACK_OUTAGE * 3 + 120)
    after = scrape(worker.metrics_url)
    assert worker.process.poll() is None
    assert value(during, "sopbot_outbox_sends_total", outcome="error") > 0
    assert value(during, "sopbot_outbox_sends_total", outcome="ok") == 0
    assert value(after, "sopbot_outbox_sends_total", outcome="ok") == 100
    assert value(after, "sopbot_outbox_sends_total", outcome="gave_up") == 0
    assert value(after, "sopbot_outbox_depth", state="failed") == 0
    assert set(dm_counts(fake, people).values()) == {1}
    with database.session() as session:
        assert outbox.counts_by_state(session)[SENT] == 100
    # Draining ran at the budget (5 s of it hold 50 posts, 53 with the burst), never past it. The
    # fake stamps a call when it answers: calls sent on their slots by the dispatcher's concurrent
    # senders can be answered a little late and land in the next window, one per sender at most.
    posts = [c.at for c in fake.calls_to("chat.postMessage")]
    most = PER_MINUTE / 60 * 5 + BURST + DeliveryLimits().senders
    assert PER_MINUTE / 60 * 5 * 0.6 <= busiest(posts, window=5) <= most
