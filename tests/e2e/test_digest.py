"""The daily digest end to end: once at the local time, its chart, restarts, replicas, DST."""

# Fixtures are imported by name from the helpers; pytest passes them in by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import logging
import sys
import threading
from datetime import UTC, date, datetime

import pytest

from bot.db import digest as store
from bot.jobs import digest as digest_jobs
from bot.services import chart
from bot.slacksim.seed import MARIA, PRIYA, SUPPORT
from bot.wiring import build_job_context, build_runtime
from tests.e2e.conversation import visible_text
from tests.e2e.digest_helpers import (  # noqa: F401 - make_bot is a fixture
    chart_replies,
    digests_posted,
    make_bot,
    run_jobs,
    set_clock,
)

MONDAY_0900 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TUESDAY_0859_BERLIN = datetime(2026, 12, 1, 7, 59, tzinfo=UTC)
TUESDAY_0900_BERLIN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def some_activity(bot) -> None:
    """Maria starts the refund SOP and Priya searches for something nobody wrote yet."""
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    bot.fake.wait_for(lambda: bot.fake.messages(SUPPORT), what="the run in #support")
    bot.slack.command(PRIYA, "/sop", "gift card balance", channel=SUPPORT)
    bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="no match")


def digest_row(bot, day: date) -> store.Digest | None:
    with bot.runtime.database.session() as session:
        return store.digest_row(session, workspace_id=1, day=day)


def test_the_digest_arrives_once_at_nine_berlin_time_with_its_chart_in_the_thread(make_bot):
    bot = make_bot(MONDAY_0900)
    some_activity(bot)
    set_clock(bot, TUESDAY_0859_BERLIN)
    assert run_jobs(bot) == [] and digests_posted(bot) == []

    set_clock(bot, TUESDAY_0900_BERLIN)
    assert run_jobs(bot) == ["2026-11-30:sent"]
    (digest,) = digests_posted(bot)
    assert digest["text"].startswith("Daily digest · Mon 30 Nov 2026: 1 run, — completed")
    assert "gift card balance" in visible_text(digest)  # the search that found nothing
    (reply,) = chart_replies(bot, digest)
    (shared,) = reply["files"]
    assert shared["title"] == chart.TITLE and shared["name"] == "sopbot-trend-2026-11-30.png"
    assert bot.fake.ws.files[shared["id"]].content.startswith(b"\x89PNG")

    for minutes in (1, 60):
        bot.clock.advance(minutes=minutes)
        assert run_jobs(bot) == ["2026-11-30:taken"]
    assert len(digests_posted(bot)) == 1 and len(chart_replies(bot, digest)) == 1
    assert len(bot.fake.calls_to("files.getUploadURLExternal")) == 1
    assert digest_row(bot, date(2026, 11, 30)).chart_state == store.CHART_UPLOADED


def test_without_matplotlib_the_digest_goes_out_without_a_chart(make_bot, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    assert not chart.available()
    bot = make_bot(MONDAY_0900)
    some_activity(bot)
    set_clock(bot, TUESDAY_0900_BERLIN)
    assert run_jobs(bot) == ["2026-11-30:sent"]
    (digest,) = digests_posted(bot)
    assert "chart" not in visible_text(digest) and chart_replies(bot, digest) == []
    assert bot.fake.calls_to("files.getUploadURLExternal") == []
    assert digest_row(bot, date(2026, 11, 30)).chart_state == store.CHART_NONE


def test_two_schedulers_on_one_database_send_one_digest(make_bot, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share a PostgreSQL database in production")
    bot = make_bot(MONDAY_0900)
    some_activity(bot)
    set_clock(bot, TUESDAY_0900_BERLIN)
    replicas = [build_runtime(bot.runtime.settings, clock=bot.clock) for _ in range(2)]
    start = threading.Barrier(len(replicas))
    outcomes: list[list[str]] = []

    def scheduler(runtime) -> None:
        start.wait()
        outcomes.append(digest_jobs.tick(build_job_context(runtime)))

    threads = [threading.Thread(target=scheduler, args=(s,)) for s in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o for done in outcomes for o in done) == ["2026-11-30:sent", "2026-11-30:taken"]
    for runtime in replicas:
        run_jobs(bot, runtime)  # both upload charts; the first to lease it wins
        runtime.database.dispose()
    (digest,) = digests_posted(bot)
    assert len(chart_replies(bot, digest)) == 1


def test_after_downtime_a_digest_within_six_hours_is_sent_once_and_a_later_one_never(
    make_bot, caplog
):
    bot = make_bot(MONDAY_0900)
    some_activity(bot)
    set_clock(bot, datetime(2026, 12, 1, 13, 59, tzinfo=UTC))  # 14:59 in Berlin: 5 h 59 late
    restarted = build_runtime(bot.runtime.settings, clock=bot.clock)
    assert run_jobs(bot, restarted) == ["2026-11-30:sent"]
    assert len(digests_posted(bot)) == 1

    caplog.set_level(logging.WARNING, logger="bot.jobs.digest")
    set_clock(bot, datetime(2026, 12, 2, 14, 1, tzinfo=UTC))  # 6 h 1 min after Wednesday's
    assert run_jobs(bot, restarted) == ["2026-12-01:skipped"]
    assert run_jobs(bot, restarted) == []
    assert len(digests_posted(bot)) == 1
    (logged,) = [r.getMessage() for r in caplog.records if "not sent" in r.getMessage()]
    assert logged.startswith("digest for 2026-12-01 not sent: it was due at 2026-12-02T08:00")
    assert digest_row(bot, date(2026, 12, 1)).status == store.SKIPPED_LATE
    restarted.database.dispose()


def test_on_the_23_hour_day_the_nine_oclock_digest_goes_out_at_seven_utc(make_bot):
    bot = make_bot(datetime(2026, 3, 28, 9, 0, tzinfo=UTC))
    some_activity(bot)
    set_clock(bot, datetime(2026, 3, 29, 6, 59, tzinfo=UTC))  # 08:59 CEST
    assert run_jobs(bot) == []
    set_clock(bot, datetime(2026, 3, 29, 7, 0, tzinfo=UTC))  # 09:00 CEST, an hour after CET's
    assert run_jobs(bot) == ["2026-03-28:sent"]
    (digest,) = digests_posted(bot)
    assert digest["text"].startswith("Daily digest · Sat 28 Mar 2026: 1 run")
    row = digest_row(bot, date(2026, 3, 28))
    assert row.claimed_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC) and row.tz == "Europe/Berlin"
