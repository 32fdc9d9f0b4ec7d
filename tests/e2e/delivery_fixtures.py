"""Fixtures for outbox delivery tests: a fake Slack, a database, dispatchers on threads.

Imported explicitly by test_delivery.py (tests/e2e/conftest.py belongs to other tests).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import migrate, outbox
from bot.db.models import utcnow
from bot.db.outbox import OutboxMessage
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.jobs.dispatcher import DeliveryLimits, Dispatcher
from bot.slacksim import FakeSlack

# Fast enough that tests take seconds, slow enough that every code path still runs.
FAST = DeliveryLimits(
    per_minute=60_000,
    tier3_per_minute=60_000,
    per_channel_per_second=1_000,
    backoff_base=0.05,
    backoff_cap=0.5,
    lease_seconds=4,
    poll_interval=0.02,
)
SETTLE_TIMEOUT = 90.0


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running fake Slack with the seeded team."""
    with FakeSlack() as running:
        yield running


@pytest.fixture
def delivery_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite file."""
    database = migrate.open_current(f"sqlite:///{tmp_path / 'outbox.db'}", now=utcnow())
    yield database
    database.dispose()


def workspace_of(database: Database) -> int:
    with database.session() as session:
        return default_workspace(session).id


def add_people(fake: FakeSlack, count: int) -> list[str]:
    """`count` more people in the fake workspace; their user IDs."""
    return [fake.ws.add_user(name=f"member{i:04d}").id for i in range(count)]


def enqueue_dms(database: Database, users: Sequence[str], *, prefix: str = "training:1") -> None:
    """One DM per person, keyed `prefix:user`, in one transaction."""
    workspace_id = workspace_of(database)
    with database.session() as session:
        for user in users:
            outbox.enqueue(
                session,
                key=f"{prefix}:{user}",
                workspace_id=workspace_id,
                user_id=user,
                text=f"Please take the refund quiz, <@{user}>",
                now=utcnow(),
            )


def rows(database: Database) -> list[OutboxMessage]:
    with database.session() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def settled(database: Database) -> bool:
    """True once no row is waiting or in flight."""
    with database.session() as session:
        counts = outbox.counts_by_state(session)
    return counts[outbox.PENDING] + counts[outbox.SENDING] == 0


def wait_settled(fake: FakeSlack, database: Database, timeout: float = SETTLE_TIMEOUT) -> None:
    fake.wait_for(lambda: settled(database), timeout, what="every outbox row sent or failed")


def dm_counts(fake: FakeSlack, users: Sequence[str]) -> Counter[str]:
    """How many messages each person has in their DM with the bot (zero included)."""
    return Counter({user: len(fake.dms(user)) for user in users})


def client_for(fake: FakeSlack):
    """A client the way the dispatcher needs one: no slack_sdk retries, short timeout."""
    return fake.client(retry_handlers=[], timeout=1)


@pytest.fixture
def start_dispatcher(
    fake_slack: FakeSlack,
) -> Iterator[Callable[..., Dispatcher]]:
    """Start a Dispatcher.run_forever on a thread; every one is stopped after the test."""
    running: list[tuple[threading.Event, threading.Thread]] = []

    def start(database: Database, limits: DeliveryLimits = FAST, **kwargs) -> Dispatcher:
        kwargs.setdefault("clock", utcnow)  # these tests stamp their rows with the wall clock
        dispatcher = Dispatcher(
            database=database, client=client_for(fake_slack), limits=limits, **kwargs
        )
        stop = threading.Event()
        thread = threading.Thread(target=dispatcher.run_forever, args=(stop,), daemon=True)
        thread.start()
        running.append((stop, thread))
        return dispatcher

    yield start
    for stop, _ in running:
        stop.set()
    for _, thread in running:
        thread.join(timeout=10)
