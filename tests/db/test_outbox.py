"""The outbox table and the shared budget, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.db import migrate, outbox
from bot.db.outbox import FAILED, PENDING, SENDING, SENT, OutboxMessage, RateLimit
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.jobs import ratelimit
from bot.jobs.ratelimit import (
    AUTO_START,
    BACK_OFF,
    PROBE_STEP,
    SETTLED_BACK_OFF,
    STEADY_STEP,
    WINDOW,
    DeliveryLimits,
    Rate,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
def workspace_id(db: Database) -> int:
    with db.session() as session:
        return default_workspace(session).id


def add(db: Database, workspace_id: int, count: int, *, prefix: str = "t", **fields) -> None:
    with db.session() as session:
        for i in range(count):
            outbox.enqueue(
                session,
                key=f"{prefix}:{i}",
                workspace_id=workspace_id,
                user_id=f"U{i:05d}",
                text=f"hello {i}",
                now=T0,
                **fields,
            )


def claim(db: Database, token: str, *, at: datetime = T0, limit: int = 100) -> list[str]:
    with db.session() as session:
        rows = outbox.claim(session, token=token, now=at, lease=LEASE, limit=limit)
        return [row.key for row in rows]


def row(db: Database, key: str) -> OutboxMessage:
    with db.session() as session:
        return session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()


def test_enqueueing_a_key_twice_keeps_the_first(db, workspace_id):
    with db.session() as session:
        first = outbox.enqueue(
            session, key="training:7:U1", workspace_id=workspace_id, user_id="U1", text="a", now=T0
        )
        again = outbox.enqueue(
            session, key="training:7:U1", workspace_id=workspace_id, user_id="U1", text="b", now=T0
        )
    assert (first, again) == (True, False)
    with db.session() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert row(db, "training:7:U1").text == "a"
    assert row(db, "training:7:U1").state == PENDING


def test_the_row_is_written_in_the_transaction_that_causes_it(db, workspace_id):
    with pytest.raises(RuntimeError), db.session() as session:
        outbox.enqueue(
            session, key="k", workspace_id=workspace_id, channel_id="C1", text="x", now=T0
        )
        raise RuntimeError("the causing change failed")
    with db.session() as session:
        assert outbox.counts_by_state(session)[PENDING] == 0


def test_a_message_needs_exactly_one_address_and_some_text(db, workspace_id):
    with db.session() as session:
        for address in ({}, {"user_id": "U1", "channel_id": "C1"}):
            with pytest.raises(ValueError, match="exactly one"):
                outbox.enqueue(
                    session, key="k", workspace_id=workspace_id, text="x", now=T0, **address
                )
        with pytest.raises(ValueError, match="text"):
            outbox.enqueue(
                session, key="k", workspace_id=workspace_id, user_id="U", text="", now=T0
            )


def test_a_claimed_row_is_nobody_elses_until_its_lease_expires(db, workspace_id):
    add(db, workspace_id, 3)

    assert claim(db, "a#1") == ["t:0", "t:1", "t:2"]
    assert claim(db, "b#1", at=T0 + LEASE / 2) == []
    assert claim(db, "b#2", at=T0 + LEASE + timedelta(seconds=1)) == ["t:0", "t:1", "t:2"]
    assert row(db, "t:0").lease_owner == "b#2"


def test_rows_are_claimed_when_due_and_never_once_sent_or_failed(db, workspace_id):
    add(db, workspace_id, 1, prefix="later", not_before=T0 + timedelta(hours=1))
    add(db, workspace_id, 4)
    assert claim(db, "a#1", limit=2) == ["t:0", "t:1"]
    with db.session() as session:
        done, failed = outbox.claim(session, token="a#2", now=T0, lease=LEASE, limit=2)
        outbox.mark_sent(session, message_id=done.id, channel="D1", ts="1.000001", now=T0)
        outbox.mark_failed(session, message_id=failed.id, token="a#2", error="is_archived")
    after = T0 + timedelta(hours=2)
    assert claim(db, "b#1", at=after) == ["t:0", "t:1", "later:0"]


def test_a_crashed_send_is_claimed_again_and_the_old_lease_cannot_act(db, workspace_id):
    add(db, workspace_id, 1)
    with db.session() as session:
        (message,) = outbox.claim(session, token="a#1", now=T0, lease=LEASE, limit=5)
        assert outbox.mark_sending(session, message=message, token="a#1", now=T0, lease=LEASE)
    # a#1 dies mid-send: after the lease, b#1 gets the row, still `sending`, attempts 1.
    later = T0 + LEASE * 2
    assert claim(db, "b#1", at=later) == ["t:0"]
    taken = row(db, "t:0")
    assert (taken.state, taken.attempts, taken.first_attempt_at) == (SENDING, 1, T0)
    with db.session() as session:
        assert not outbox.mark_sending(session, message=taken, token="a#1", now=later, lease=LEASE)
        assert not outbox.mark_failed(session, message_id=taken.id, token="a#1", error="late")
        assert outbox.mark_sending(session, message=taken, token="b#1", now=later, lease=LEASE)
    assert (row(db, "t:0").attempts, row(db, "t:0").first_attempt_at) == (2, T0)


def test_concurrent_claimers_never_get_the_same_row(database_url):
    claimers = 4
    setup = migrate.open_current(database_url, now=datetime(2026, 1, 1, tzinfo=UTC))
    with setup.session() as session:
        workspace_id = default_workspace(session).id
    add(setup, workspace_id, 200)
    got: list[list[str]] = [[] for _ in range(claimers)]
    errors: list[BaseException] = []
    start = threading.Barrier(claimers)

    def claimer(index: int) -> None:
        database = Database(database_url)  # its own engine, like a separate process
        try:
            start.wait()
            for n in range(1000):
                keys = claim(database, f"c{index}#{n}", limit=7)
                if not keys:
                    return
                got[index].extend(keys)
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(claimers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    setup.dispose()
    assert errors == []
    every = [key for keys in got for key in keys]
    assert len(every) == len(set(every)) == 200


def test_sent_message_tells_where_a_key_landed(db, workspace_id):
    add(db, workspace_id, 1)
    with db.session() as session:
        assert outbox.sent_message(session, key="t:0") is None
        (message,) = outbox.claim(session, token="a#1", now=T0, lease=LEASE, limit=1)
        outbox.mark_sent(session, message_id=message.id, channel="D42", ts="1.5", now=T0)
    with db.session() as session:
        assert outbox.sent_message(session, key="t:0") == ("D42", "1.5")
        assert outbox.sent_message(session, key="nope") is None
    assert row(db, "t:0").lease_owner is None


def test_failures_are_counted_listed_and_requeued(db, workspace_id):
    add(db, workspace_id, 3)
    with db.session() as session:
        rows = outbox.claim(session, token="a#1", now=T0, lease=LEASE, limit=3)
        for message in rows[:2]:
            outbox.mark_sending(session, message=message, token="a#1", now=T0, lease=LEASE)
            outbox.mark_failed(
                session, message_id=message.id, token="a#1", error="chat.postMessage: is_archived"
            )
        outbox.mark_sent(session, message_id=rows[2].id, channel="D1", ts="1.1", now=T0)
    with db.session() as session:
        assert outbox.counts_by_state(session) == {PENDING: 0, SENDING: 0, SENT: 1, FAILED: 2}
        failures = outbox.recent_failures(session)
        assert [(f.key, f.last_error, f.attempts) for f in failures] == [
            ("t:1", "chat.postMessage: is_archived", 1),
            ("t:0", "chat.postMessage: is_archived", 1),
        ]
        assert outbox.requeue_failed(session, now=T0, key="t:1") == 1
        assert outbox.requeue_failed(session, now=T0, key="t:2") == 0  # sent, not failed
    assert (row(db, "t:1").state, row(db, "t:1").attempts) == (PENDING, 0)
    with db.session() as session:
        assert outbox.requeue_failed(session, now=T0) == 1
        assert outbox.counts_by_state(session)[PENDING] == 2


def test_dm_channels_are_cached_per_person(db, workspace_id):
    add(db, workspace_id, 2)  # to U00000 and U00001
    with db.session() as session:
        for channel in ("D1", "D9"):  # a DM's ID never changes: the first one stays
            outbox.remember_dm(
                session, workspace_id=workspace_id, user_id="U00000", channel_id=channel, now=T0
            )
    with db.session() as session:
        messages = outbox.claim(session, token="a#1", now=T0, lease=LEASE, limit=2)
        assert outbox.cached_dms(session, messages=messages) == {messages[0].id: "D1"}


# -- the shared budget ---------------------------------------------------------------------------

POSTS = Rate.per_minute("chat.postMessage", 50)


def reserve(db, workspace_id, *rates, at=T0, max_wait=3600.0) -> ratelimit.Reservation:
    with db.session() as session:
        return ratelimit.reserve(
            session, workspace_id=workspace_id, rates=rates, now=at, max_wait=max_wait
        )


def test_the_budget_spaces_calls_by_its_rate(db, workspace_id):
    slots = [reserve(db, workspace_id, POSTS).send_at for _ in range(3)]
    assert slots == [T0, T0 + timedelta(seconds=1.2), T0 + timedelta(seconds=2.4)]


def test_a_slot_too_far_away_is_not_taken(db, workspace_id):
    reserve(db, workspace_id, POSTS)
    refused = reserve(db, workspace_id, POSTS, max_wait=1.0)
    assert (refused.granted, refused.send_at) == (False, T0 + timedelta(seconds=1.2))
    assert reserve(db, workspace_id, POSTS).send_at == T0 + timedelta(seconds=1.2)


def test_a_call_waits_for_every_budget_it_draws_on_and_for_a_429_block(db, workspace_id):
    channel = Rate("to:C1", 1.0)
    reserve(db, workspace_id, channel)
    assert reserve(db, workspace_id, POSTS, channel).send_at == T0 + timedelta(seconds=1)
    with db.session() as session:
        until = T0 + timedelta(seconds=30)
        ratelimit.block(
            session, workspace_id=workspace_id, bucket="chat.postMessage", until=until, now=T0
        )
        ratelimit.block(
            session, workspace_id=workspace_id, bucket="chat.postMessage", until=T0, now=T0
        )
    assert reserve(db, workspace_id, POSTS).send_at == T0 + timedelta(seconds=30)


AUTO = DeliveryLimits(per_minute=None).post_rate()


def pace(db, workspace_id) -> tuple[float, object]:
    with db.session() as session:
        row = session.get(RateLimit, (workspace_id, "chat.postMessage"))
        return row.per_minute, row.settled_at


def send_for(db, workspace_id, seconds: float, per_minute: float, *, start=T0) -> datetime:
    """Reserve calls at `per_minute` for `seconds` (demand, not the pace); the last time."""
    at, step = start, 60 / per_minute
    while at < start + timedelta(seconds=seconds):
        reserve(db, workspace_id, AUTO, at=at)
        at += timedelta(seconds=step)
    return at


def test_auto_speeds_up_fast_while_its_pace_is_used_and_not_when_it_is_not(db, workspace_id):
    end = send_for(db, workspace_id, WINDOW + 1, AUTO_START)  # demand meets the pace
    assert pace(db, workspace_id) == (pytest.approx(AUTO_START * PROBE_STEP), None)
    send_for(db, workspace_id, 3 * WINDOW, AUTO_START / 2, start=end)  # a pace nobody uses
    assert pace(db, workspace_id)[0] == pytest.approx(AUTO_START * PROBE_STEP)


def block_at(db, workspace_id, now, seconds=1):
    with db.session() as session:
        until = now + timedelta(seconds=seconds)
        ratelimit.block(
            session, workspace_id=workspace_id, bucket="chat.postMessage", until=until, now=now
        )


def test_the_first_429_slows_to_what_went_through_then_once_per_spell(db, workspace_id):
    # Probing asked for 300 a minute but only 120 a minute went through before the 429.
    end = send_for(db, workspace_id, 5, 120)
    block_at(db, workspace_id, end)
    block_at(db, workspace_id, end + timedelta(seconds=0.2))  # a call already under way
    slowed, settled = pace(db, workspace_id)
    assert settled == end and slowed == pytest.approx(120 * BACK_OFF, rel=0.1)
    later = send_for(db, workspace_id, WINDOW + 1, slowed, start=end + timedelta(seconds=2))
    assert pace(db, workspace_id)[0] == pytest.approx(slowed * STEADY_STEP)  # slowly now
    block_at(db, workspace_id, later)  # a new spell: 95% of the pace
    assert pace(db, workspace_id)[0] == pytest.approx(slowed * STEADY_STEP * SETTLED_BACK_OFF)


def test_a_fixed_pace_is_never_learned(db, workspace_id):
    reserve(db, workspace_id, POSTS)
    block_at(db, workspace_id, T0)
    assert pace(db, workspace_id) == (None, None)


def test_concurrent_reservations_share_one_budget(database_url):
    setup = migrate.open_current(database_url, now=datetime(2026, 1, 1, tzinfo=UTC))
    with setup.session() as session:
        workspace_id = default_workspace(session).id
    slots: list[datetime] = []
    lock = threading.Lock()

    def dispatcher() -> None:
        database = Database(database_url)
        for _ in range(10):
            send_at = reserve(database, workspace_id, POSTS, Rate("to:C1", 0.5)).send_at
            with lock:
                slots.append(send_at)
        database.dispose()

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    setup.dispose()
    assert sorted(slots) == [T0 + timedelta(seconds=1.2 * i) for i in range(40)]


def test_idle_budgets_are_pruned(db, workspace_id):
    reserve(db, workspace_id, Rate("to:C1", 1.0))
    reserve(db, workspace_id, Rate("to:C2", 1.0), at=T0 + timedelta(hours=2))
    with db.session() as session:
        assert ratelimit.prune(session, before=T0 + timedelta(hours=1)) == 1


def test_cancelling_more_keys_than_postgresql_takes_parameters(db, workspace_id):
    # A material change for 50,000 people withdraws 100,000 reminders in one call.
    add(db, workspace_id, 3, prefix="reminder")
    keys = [f"reminder:{i}" for i in range(70_000)]
    with db.session() as session:
        cancelled = outbox.cancel_unsent(session, keys=keys)
    assert cancelled == {"reminder:0", "reminder:1", "reminder:2"}
    with db.session() as session:
        assert session.scalar(select(func.count(OutboxMessage.id))) == 0
