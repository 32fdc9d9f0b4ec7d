"""Concurrent writers on one SQLite file wait for each other instead of failing."""

import threading

from sqlalchemy import func, select

from bot.db.models import Event, Workspace
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.runtime import utc_now

WRITERS = 8
WRITES_EACH = 25


def test_parallel_read_then_write_transactions_never_hit_database_is_locked(db: Database):
    with db.session() as session:
        workspace_id = default_workspace(session).id
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(WRITES_EACH):
                with db.session() as session:
                    # Read first, then write: the pattern that fails with "database is
                    # locked" under SQLite's default deferred transactions.
                    session.scalar(select(func.count(Event.id)))
                    session.add(
                        Event(workspace_id=workspace_id, at=utc_now(), kind="probe", data={})
                    )
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session() as session:
        assert session.scalar(select(func.count(Event.id))) == WRITERS * WRITES_EACH
        assert session.scalar(select(func.count(Workspace.id))) == 1
