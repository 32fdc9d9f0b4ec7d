"""The feedback limit: 20 a person per clock hour, and no copy of the database names anyone."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.db.feedback import FeedbackQuota
from bot.db.session import Database
from bot.jobs.scheduler import STANDARD_JOBS
from bot.runtime import Runtime
from bot.services.feedback_quota import RATE_LIMIT, author_hash, process_secret
from bot.wiring import build_job_context
from tests.anonymity import copy_of, rows_at, traces
from tests.db.feedback_helpers import MARIA, PRIYA, SAM, SECRET, T0, sops, submit

__all__ = ["sops"]  # a fixture

MEMBERS = (MARIA, PRIYA, SAM, "U0ADMIN01", "U01TOM0001")
SETTINGS = Settings(slack_signing_secret="8f742231b10e8888abcd99yyyzzz85a5")


def counters(db: Database) -> list[tuple[datetime, str, int]]:
    with db.session() as session:
        rows = session.scalars(select(FeedbackQuota).order_by(FeedbackQuota.items))
        return [(row.window_start, row.author_hash, row.items) for row in rows]


def test_named_and_anonymous_items_share_the_limit_of_a_clock_hour(db, sops):
    for n in range(RATE_LIMIT):
        at = T0 + timedelta(minutes=n, seconds=7)
        assert submit(db, anonymous=n % 2 == 0, now=at).verdict == "ok"
    last_moment = T0 + timedelta(minutes=59, seconds=59)
    assert submit(db, anonymous=True, now=last_moment).verdict == "limited"
    assert submit(db, now=last_moment).verdict == "limited"
    assert submit(db, PRIYA, anonymous=True, now=last_moment).verdict == "ok"
    # Only anonymous items have counters (the feedback table names the others); refusals
    # count nothing, and no counter says when within the hour anything happened.
    assert [(start, items) for start, _, items in counters(db)] == [(T0, 1), (T0, 10)]
    # A new clock hour starts afresh however recent the last items were, and the ended
    # hour's counters go with the next feedback.
    assert submit(db, anonymous=True, now=T0 + timedelta(hours=1)).verdict == "ok"
    assert [(start, items) for start, _, items in counters(db)] == [(T0 + timedelta(hours=1), 1)]


def test_a_copy_of_the_database_ties_no_anonymous_item_to_its_author(db, sops):
    given_at = T0 + timedelta(minutes=17, seconds=23, microseconds=500)
    assert submit(db, MARIA, now=given_at - timedelta(minutes=2)).verdict == "ok"
    anonymous = submit(db, PRIYA, anonymous=True, now=given_at)
    assert submit(db, SAM, anonymous=True, now=given_at + timedelta(minutes=1)).verdict == "ok"

    copy = copy_of(db.url)
    assert traces(copy, MEMBERS) == []
    assert PRIYA not in json.dumps(copy, default=str)
    assert "install_secrets" not in copy
    assert "feedback_quota" not in {table for table, _ in rows_at(copy, given_at)}
    assert anonymous.item.created_at == given_at
    # What remains, as the README says: with the environment's secret as well, this hour's
    # counters name their people (the only anonymous givers this hour)...
    hashes = {row["author_hash"] for row in copy["feedback_quota"]}
    assert author_hash(SECRET, workspace_id=1, user_id=PRIYA, start=T0) in hashes
    assert sorted(who for _, who in traces(copy, MEMBERS, known=[SECRET])) == [PRIYA, SAM]
    # ...until the hour's purge; then nothing does.
    forget = {job.id: job for job in STANDARD_JOBS}["forget-feedback-quota"]
    forget.run(build_job_context(Runtime(SETTINGS, db, clock=lambda: T0 + timedelta(hours=1))))
    assert traces(copy_of(db.url), MEMBERS, known=[SECRET]) == []


def test_the_purge_job_forgets_an_ended_hour_on_the_hour_without_waiting_for_feedback(db, sops):
    assert submit(db, anonymous=True, now=T0 + timedelta(minutes=42)).verdict == "ok"
    now = [T0 + timedelta(minutes=59, seconds=59, microseconds=999_999)]
    job = build_job_context(Runtime(SETTINGS, db, clock=lambda: now[0]))
    forget = {job.id: job for job in STANDARD_JOBS}["forget-feedback-quota"]
    forget.run(job)
    assert len(counters(db)) == 1  # the hour has not ended: its limit still holds
    now[0] = T0 + timedelta(hours=1)
    forget.run(job)
    assert counters(db) == []
    # It runs on the hour (and every five minutes, in case a process was down then).
    fires = forget.trigger.get_next_fire_time(None, T0 + timedelta(minutes=56))
    assert fires == T0 + timedelta(hours=1)


def test_processes_with_the_same_settings_share_one_limit_and_lose_no_count(db, sops):
    other = Database(db.url)  # a second process on the same database
    try:
        processes = [Runtime(SETTINGS, db), Runtime(SETTINGS, other)]
        assert processes[0].quota_secret == processes[1].quota_secret
        verdicts: list[str] = []
        start = threading.Barrier(2 * (RATE_LIMIT // 2 + 2))

        def give(runtime: Runtime) -> None:
            start.wait(timeout=30)
            given = submit(
                runtime.database,
                anonymous=True,
                now=T0 + timedelta(minutes=5),
                quota_secret=runtime.quota_secret,
            )
            verdicts.append(given.verdict)

        threads = [
            threading.Thread(target=give, args=(runtime,))
            for runtime in processes
            for _ in range(RATE_LIMIT // 2 + 2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(verdicts) == ["limited"] * 4 + ["ok"] * RATE_LIMIT
        assert [items for _, _, items in counters(db)] == [RATE_LIMIT]
    finally:
        other.dispose()


def test_the_key_comes_from_the_environment_and_is_random_per_process_without_one():
    assert process_secret(SETTINGS) == SETTINGS.slack_signing_secret.encode()
    socket_mode = Settings(slack_app_token="xapp-1-A1-2-abc", slack_bot_token="xoxb-1")
    assert process_secret(socket_mode) == b"xapp-1-A1-2-abc"
    assert process_secret(Settings()) != process_secret(Settings())
    start = T0 + timedelta(hours=3)
    hourly = {
        author_hash(SECRET, workspace_id=1, user_id=MARIA, start=start + timedelta(hours=h))
        for h in range(2)
    }
    assert len(hourly) == 2  # one person's hashes of two hours do not match
