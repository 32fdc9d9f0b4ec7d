"""The outbox dispatcher against the fake Slack: every message arrives, and arrives once."""

# Fixtures are imported by name (tests/e2e/conftest.py belongs to other tests); pytest then
# passes them in as parameters of the same name, which F811 would flag on every test.
# ruff: noqa: F811

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.cli import main
from bot.db import migrate, outbox, served
from bot.db.models import utcnow
from bot.db.outbox import FAILED, SENT, DmChannel, OutboxMessage, RateLimit
from bot.db.session import Database
from bot.jobs.dispatcher import Dispatcher
from bot.slacksim import DEFAULT_TOKEN, FakeSlack, ManualClock, default_workspace
from bot.slacksim.seed import DEPLOYBOT, LEE, MARIA, OLD_RUNBOOKS, SAM, SUPPORT
from tests.e2e.delivery_fixtures import (  # noqa: F401 - fixtures are used by name
    FAST,
    add_people,
    client_for,
    delivery_db,
    dm_counts,
    enqueue_dms,
    fake_slack,
    rows,
    settled,
    start_dispatcher,
    wait_settled,
    workspace_of,
)


def key_of(message: dict) -> str | None:
    return (message.get("metadata") or {}).get("event_payload", {}).get("key")


def test_every_dm_arrives_exactly_once_with_one_call_each_and_the_dm_is_remembered(
    fake_slack, delivery_db, start_dispatcher
):
    people = add_people(fake_slack, 30)
    enqueue_dms(delivery_db, people)
    enqueue_dms(delivery_db, people[:5], prefix="reminder:1")

    start_dispatcher(delivery_db)
    wait_settled(fake_slack, delivery_db)

    assert set(dm_counts(fake_slack, people[5:]).values()) == {1}
    assert set(dm_counts(fake_slack, people[:5]).values()) == {2}
    # chat.postMessage to the user ID opens the DM itself: one call per message, no open.
    assert fake_slack.calls_to("conversations.open") == []
    assert len([c for c in fake_slack.calls_to("chat.postMessage") if c.ok]) == 35
    with delivery_db.session() as session:
        remembered = session.execute(select(DmChannel.user_id, DmChannel.channel_id)).all()
    assert dict(remembered) == {p: fake_slack.ws.bot_im(p).id for p in people}
    first = fake_slack.dms(people[0])[0]
    assert first["text"] == f"Please take the refund quiz, <@{people[0]}>"
    assert first["metadata"]["event_type"] == "sopbot_outbox"
    assert key_of(first) == f"training:1:{people[0]}"
    with delivery_db.session() as session:
        channel, ts = outbox.sent_message(session, key=f"training:1:{people[0]}")
    assert ts == first["ts"] and fake_slack.ws.channels[channel].im_user == people[0]


def test_channel_posts_thread_replies_and_updates_in_place(
    fake_slack, delivery_db, start_dispatcher
):
    workspace_id = workspace_of(delivery_db)
    with delivery_db.session() as session:
        outbox.enqueue(
            session,
            key="route:1",
            workspace_id=workspace_id,
            channel_id=SUPPORT,
            text="Feedback on step 2 of Refunds",
            now=utcnow(),
        )
    start_dispatcher(delivery_db)
    wait_settled(fake_slack, delivery_db)
    with delivery_db.session() as session:
        channel, ts = outbox.sent_message(session, key="route:1")
        outbox.enqueue(
            session,
            key="route:1:reply",
            workspace_id=workspace_id,
            channel_id=channel,
            thread_ts=ts,
            text="Owner notified",
            now=utcnow(),
        )
        outbox.enqueue_update(
            session,
            key="route:1:resolved",
            workspace_id=workspace_id,
            channel_id=channel,
            ts=ts,
            text="Feedback on step 2 of Refunds (resolved)",
            now=utcnow(),
        )
    wait_settled(fake_slack, delivery_db)

    thread = fake_slack.thread("support", ts)
    assert [m["text"] for m in thread] == [
        "Feedback on step 2 of Refunds (resolved)",
        "Owner notified",
    ]
    assert [key_of(m) for m in thread] == ["route:1", "route:1:reply"]
    assert {r.key: r.state for r in rows(delivery_db)} == dict.fromkeys(
        ["route:1", "route:1:reply", "route:1:resolved"], SENT
    )


def test_a_retried_update_never_undoes_a_newer_one(fake_slack, delivery_db):
    workspace_id = workspace_of(delivery_db)
    posted = fake_slack.client().chat_postMessage(channel=SUPPORT, text="open")
    dispatcher = Dispatcher(
        database=delivery_db, client=client_for(fake_slack), clock=utcnow, limits=FAST
    )

    def edit(version: int, text: str) -> None:
        with delivery_db.session() as session:
            outbox.enqueue_update(
                session,
                key=f"route:1:v{version}",
                workspace_id=workspace_id,
                channel_id=SUPPORT,
                ts=posted["ts"],
                text=text,
                now=utcnow(),
            )

    edit(1, "acknowledged")
    fake_slack.fail("chat.update", "internal_error")
    assert dispatcher.run_once(10) == 1  # v1 failed and waits for its retry
    edit(2, "resolved")
    fake_slack.wait_for(
        lambda: dispatcher.run_once(10) == 0 and settled(delivery_db), 30, what="both edits done"
    )

    assert fake_slack.messages("support")[-1]["text"] == "resolved"
    assert [c.args["text"] for c in fake_slack.calls_to("chat.update")] == [
        "acknowledged",  # failed; its retry found v2 queued and stood down
        "resolved",
    ]
    assert {r.state for r in rows(delivery_db)} == {SENT}


def test_chaos_429s_and_lost_replies_still_deliver_each_dm_exactly_once(
    fake_slack, delivery_db, start_dispatcher
):
    people = add_people(fake_slack, 25)
    enqueue_dms(delivery_db, people)
    # Three posts land but their replies are lost: only the history check can tell.
    fake_slack.fail("chat.postMessage", drop_connection=True, land=True, times=3)
    fake_slack.chaos(
        ["chat.postMessage", "conversations.open", "conversations.history"],
        rate=0.3,
        errors=["ratelimited", "internal_error", "service_unavailable", "connection_reset"],
        seed=11,
    )

    # Enough attempts that 30% failures on each of up to three calls never exhaust them.
    start_dispatcher(delivery_db, replace(FAST, max_attempts=30))
    wait_settled(fake_slack, delivery_db)

    assert set(dm_counts(fake_slack, people).values()) == {1}
    assert {r.state for r in rows(delivery_db)} == {SENT}
    calls = fake_slack.calls
    assert any(c.status == 429 for c in calls) and any(c.status >= 500 for c in calls)
    assert fake_slack.calls_to("conversations.history"), "lost replies were checked in history"
    for limited in (c for c in calls if c.status == 429):
        # Retry-After (1s) holds back every later call of that method but those already under
        # way in the other senders when the 429 came back.
        method = fake_slack.calls_to(limited.method)
        early = [c for c in method if limited.at < c.at < limited.at + 0.95]
        assert len(early) < FAST.senders, (limited.method, len(early))


def test_permanent_errors_fail_once_with_the_reason(
    fake_slack, delivery_db, start_dispatcher, tmp_path, monkeypatch, capsys
):
    workspace_id = workspace_of(delivery_db)
    fake_slack.fail("chat.postMessage", "account_inactive")  # the first post: Maria's
    enqueue_dms(delivery_db, [MARIA, LEE, DEPLOYBOT])
    with delivery_db.session() as session:
        outbox.enqueue(
            session,
            key="route:old",
            workspace_id=workspace_id,
            channel_id=OLD_RUNBOOKS,
            text="x",
            now=utcnow(),
        )

    start_dispatcher(delivery_db, replace(FAST, senders=1))  # the failure meets Maria's post
    wait_settled(fake_slack, delivery_db)

    assert {r.key: (r.state, r.attempts, r.last_error) for r in rows(delivery_db)} == {
        f"training:1:{MARIA}": (FAILED, 1, "chat.postMessage: account_inactive"),
        f"training:1:{LEE}": (FAILED, 1, "chat.postMessage: is_archived"),  # deactivated
        f"training:1:{DEPLOYBOT}": (FAILED, 1, "chat.postMessage: cannot_dm_bot"),
        "route:old": (FAILED, 1, "chat.postMessage: is_archived"),
    }
    assert len(fake_slack.calls_to("chat.postMessage")) == 4  # one call each, none retried

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", str(delivery_db.url))
    assert main(["outbox"]) == 0
    shown = capsys.readouterr().out
    assert "0 pending, 0 sending, 0 sent, 4 failed" in shown
    assert f"training:1:{LEE}  chat.postMessage: is_archived  (1 attempt)" in shown
    assert main(["outbox", "retry", "--key", f"training:1:{MARIA}"]) == 0
    wait_settled(fake_slack, delivery_db)
    assert len(fake_slack.dms(MARIA)) == 1
    assert main(["outbox", "retry", "--key", "no-such-key"]) == 1


def crash_mid_send(database: Database, key: str) -> None:
    """Leave a row as a dispatcher killed mid-call would: sending, attempt 1, lease lapsed."""
    with database.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == key)
            .values(
                state="sending",
                attempts=1,
                first_attempt_at=utcnow(),
                lease_owner="dead#1",
                lease_expires_at=utcnow() - timedelta(seconds=1),
            )
        )


def test_a_crash_after_the_post_landed_is_not_sent_again(fake_slack, delivery_db):
    enqueue_dms(delivery_db, [MARIA, SAM])
    key = f"training:1:{MARIA}"
    crash_mid_send(delivery_db, key)
    crash_mid_send(delivery_db, f"training:1:{SAM}")  # this one never reached Slack
    landed = fake_slack.client().chat_postMessage(
        channel=MARIA,
        text="Please take the refund quiz",
        metadata={"event_type": "sopbot_outbox", "event_payload": {"key": key}},
    )
    fake_slack.clear_calls()

    dispatcher = Dispatcher(
        database=delivery_db, client=client_for(fake_slack), clock=utcnow, limits=FAST
    )
    assert dispatcher.run_once(10) == 2

    assert len(fake_slack.dms(MARIA)) == 1 and len(fake_slack.dms(SAM)) == 1
    assert [c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")] == [
        fake_slack.ws.bot_im(SAM).id
    ]
    with delivery_db.session() as session:
        assert outbox.sent_message(session, key=key) == (landed["channel"], landed["ts"])
    assert {r.attempts for r in rows(delivery_db)} == {2}


def test_stopping_finishes_the_send_in_flight_and_hands_back_the_rest(
    fake_slack, delivery_db, start_dispatcher
):
    people = add_people(fake_slack, 10)
    enqueue_dms(delivery_db, people)
    slow = replace(FAST, per_minute=60, batch_size=10)
    dispatcher = Dispatcher(
        database=delivery_db, client=client_for(fake_slack), clock=utcnow, limits=slow
    )
    stop = threading.Event()
    thread = threading.Thread(target=dispatcher.run_forever, args=(stop,))
    thread.start()
    fake_slack.wait_for(lambda: fake_slack.calls_to("chat.postMessage"), 30, what="a first post")
    stop.set()
    thread.join(timeout=10)

    assert not thread.is_alive()
    left = [r for r in rows(delivery_db) if r.state != SENT]
    assert left and all(r.lease_owner is None and r.attempts == 0 for r in left)


def on_manual_clock(database: Database, fake: FakeSlack, manual: ManualClock, **limits):
    """A dispatcher whose waits move `manual`, the clock the fake Slack stamps calls with."""
    return Dispatcher(
        database=database,
        client=client_for(fake),
        clock=manual,
        sleep=manual.advance,
        limits=replace(FAST, **limits),
    )


def enqueue_notes(database: Database, manual: ManualClock, count: int) -> None:
    workspace_id = workspace_of(database)
    with database.session() as session:
        for i in range(count):
            outbox.enqueue(
                session,
                key=f"note:{i}",
                workspace_id=workspace_id,
                channel_id=SUPPORT,
                text=f"note {i}",
                now=manual(),
            )


def test_one_message_per_second_per_channel(delivery_db):
    manual = ManualClock()
    enqueue_notes(delivery_db, manual, 3)
    with FakeSlack(default_workspace(clock=manual.time)) as fake:
        dispatcher = on_manual_clock(delivery_db, fake, manual, per_channel_per_second=1)
        assert dispatcher.run_once(10) == 3
        sent = [c.at - manual.time() for c in fake.calls_to("chat.postMessage")]
    assert sent == pytest.approx([-2, -1, 0], abs=0.001)


def test_transient_failures_give_up_after_the_last_attempt(delivery_db):
    manual = ManualClock()
    enqueue_notes(delivery_db, manual, 1)
    with FakeSlack(default_workspace(clock=manual.time)) as fake:
        fake.fail("chat.postMessage", "internal_error", times=3)
        dispatcher = on_manual_clock(delivery_db, fake, manual, max_attempts=3)
        for _ in range(10):
            dispatcher.run_once(10)
            manual.advance(1)  # past the backoff
        calls = [(c.method, c.status) for c in fake.calls]

    # A 500 may hide a posted message, so each retry first looks for it.
    assert calls == [("chat.postMessage", 500), ("conversations.history", 200)] * 2 + [
        ("chat.postMessage", 500)
    ]
    (note,) = rows(delivery_db)
    assert (note.state, note.attempts, note.last_error) == (
        FAILED,
        3,
        "chat.postMessage: internal_error (gave up after 3 attempts)",
    )


def test_two_dispatchers_on_one_database_send_each_dm_once(
    fake_slack, database_url, start_dispatcher
):
    database = migrate.open_current(database_url, now=utcnow())
    people = add_people(fake_slack, 120)
    enqueue_dms(database, people)
    second = Database(database_url)  # its own engine and pool, as another process has
    try:
        small_batches = replace(FAST, batch_size=5)
        start_dispatcher(database, small_batches)
        start_dispatcher(second, small_batches)
        wait_settled(fake_slack, database)
        assert set(dm_counts(fake_slack, people).values()) == {1}
        assert len(fake_slack.calls_to("chat.postMessage")) == 120
    finally:
        second.dispose()
        database.dispose()


def worker(tmp_path: Path, database: Database, fake: FakeSlack) -> subprocess.Popen:
    """`python -m bot worker` against this database and fake, as a separate process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(
        DATABASE_URL=str(database.url), SLACK_BOT_TOKEN=DEFAULT_TOKEN, SLACK_API_URL=fake.api_url
    )
    fast = ["--per-minute", "6000", "--tier3-per-minute", "6000", "--lease", "4"]
    with (tmp_path / "worker.log").open("a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "worker", *fast],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def test_a_worker_killed_mid_fan_out_and_restarted_delivers_each_dm_once(
    fake_slack, delivery_db, tmp_path
):
    people = add_people(fake_slack, 300)
    enqueue_dms(delivery_db, people)

    first = worker(tmp_path, delivery_db, fake_slack)
    try:
        fake_slack.wait_for(
            lambda: len(fake_slack.calls_to("chat.postMessage")) >= 60, 60, what="60 posts"
        )
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    assert sum(dm_counts(fake_slack, people).values()) < 300, "killed mid fan-out"

    second = worker(tmp_path, delivery_db, fake_slack)
    try:
        wait_settled(fake_slack, delivery_db)
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0, (tmp_path / "worker.log").read_text()[-3000:]

    assert set(dm_counts(fake_slack, people).values()) == {1}
    assert {r.state for r in rows(delivery_db)} == {SENT}
    assert served.REAL_SLACK in served.marks(delivery_db.engine)  # `sopbot play` refuses it


def test_worker_needs_a_bot_token(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert main(["worker"]) == 2
    assert "SLACK_BOT_TOKEN is not set" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-5", "fast"])
def test_worker_rejects_a_rate_that_is_not_positive(value, capsys):
    with pytest.raises(SystemExit):
        main(["worker", "--per-minute", value])
    assert "not a positive number" in capsys.readouterr().err


def test_auto_pace_meets_an_unannounced_limit_slows_down_and_loses_nothing(
    fake_slack, delivery_db, start_dispatcher
):
    # 120 posts a minute across the workspace, never announced: auto starts at 300.
    fake_slack.enforce_rate_limits(chat_postMessage_per_minute=120, tiers=False)
    people = add_people(fake_slack, 24)
    enqueue_dms(delivery_db, people)

    start_dispatcher(delivery_db, replace(FAST, per_minute=None, max_attempts=30))
    wait_settled(fake_slack, delivery_db)

    assert set(dm_counts(fake_slack, people).values()) == {1}
    assert {r.state for r in rows(delivery_db)} == {SENT}
    assert any(c.status == 429 for c in fake_slack.calls_to("chat.postMessage"))
    with delivery_db.session() as session:
        learned = session.get(RateLimit, (workspace_of(delivery_db), "chat.postMessage"))
        assert learned.settled_at is not None  # the first 429 ended the probing
        assert learned.per_minute < 300  # and slowed it below where it started
