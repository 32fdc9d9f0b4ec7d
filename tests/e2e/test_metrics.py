"""GET /metrics on METRICS_PORT of real `sopbot run` and `sopbot worker` processes."""

from __future__ import annotations

from pathlib import Path

from bot.db import migrate
from bot.db.models import utcnow
from bot.slacksim import FakeSlack
from bot.slacksim.driver import SlackDriver
from bot.slacksim.seed import MARIA, SUPPORT
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.delivery_fixtures import add_people, enqueue_dms, wait_settled
from tests.e2e.metrics_scrape import scrape, value
from tests.e2e.processes import FAST_WORKER, fetch, sopbot_env, start_sopbot, wait_ready
from tests.e2e.processes import wait_started as wait_worker


def test_sopbot_run_counts_requests_acks_and_after_ack_work(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    bot = start_sopbot(
        ["run", "--no-worker"], sopbot_env(fake, database_url), tmp_path, name="run", metrics=True
    )
    try:
        wait_ready(bot)
        before = scrape(bot.metrics_url)
        slack = SlackDriver(fake, f"{bot.url}/slack/events", SIGNING_SECRET)
        assert slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 200
        fake.wait_for(
            lambda: (
                value(scrape(bot.metrics_url), "sopbot_after_ack_work_seconds_count")
                > value(before, "sopbot_after_ack_work_seconds_count")
            ),
            what="the after-ack work counted",
        )
        after = scrape(bot.metrics_url)
        # /metrics is never on the Slack port, which the proxy exposes.
        assert fetch(f"{bot.url}/metrics")[0] == 404
    finally:
        bot.terminate()
        bot.kill()

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("sopbot_slack_requests_total", kind="command", outcome="ok") == 1
    assert moved("sopbot_slack_ack_seconds_count", kind="command") == 1
    assert value(after, "sopbot_after_ack_queue_depth") == 0
    assert value(after, "sopbot_outbox_probe_up") == 1


def test_a_worker_counts_sends_by_outcome_and_shows_the_outbox(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    database = migrate.open_current(database_url, now=utcnow())
    people = add_people(fake, 20)
    enqueue_dms(database, people)
    fake.fail("chat.postMessage", "ratelimited", times=1)
    fake.fail("chat.postMessage", "internal_error", times=1)
    worker = start_sopbot(
        ["worker", *FAST_WORKER],
        sopbot_env(fake, database_url),
        tmp_path,
        name="worker",
        metrics=True,
    )
    try:
        wait_worker(worker)
        wait_settled(fake, database, timeout=60)
        samples = scrape(worker.metrics_url)
        assert worker.terminate() == 0
    finally:
        worker.kill()
        database.dispose()

    assert value(samples, "sopbot_outbox_sends_total", outcome="ok") == 20
    assert value(samples, "sopbot_outbox_sends_total", outcome="429") == 1
    assert value(samples, "sopbot_outbox_sends_total", outcome="error") == 1
    assert value(samples, "sopbot_outbox_depth", state="sent") == 20
    assert value(samples, "sopbot_outbox_depth", state="pending") == 0
    assert value(samples, "sopbot_outbox_oldest_waiting_seconds") == 0
    # The digest tick runs at start-up: a scheduled job run, counted.
    assert value(samples, "sopbot_job_runs_total", job="digest-tick", outcome="ok") >= 1
    assert value(samples, "sopbot_rollup_seconds_count") >= 1
