"""Recordings in the database: the thread look-up, one step per message, the 0014 migration."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import func, inspect, select

from bot.db import migrate
from bot.db import recordings as store
from bot.db import sops as repo
from bot.db.models import Revision
from bot.db.session import Database
from bot.services import recording

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _start(session, thread_ts: str = "100.1") -> int:
    workspace = repo.default_workspace(session)
    recording = store.add_recording(
        session,
        workspace_id=workspace.id,
        user_id="U1",
        channel_id="C1",
        thread_ts=thread_ts,
        title="Open the shop",
        now=AT,
    )
    return recording.id


def test_a_message_is_one_step_however_often_it_arrives(db):
    with db.session() as session:
        recording_id = _start(session)
    for _ in range(2):
        with db.session() as session:
            store.add_step(session, recording_id=recording_id, message_ts="101.1", text="a", now=AT)
    with db.session() as session:
        again = store.add_step(
            session, recording_id=recording_id, message_ts="101.1", text="a", now=AT
        )
        later = AT + timedelta(minutes=6)
        store.add_step(session, recording_id=recording_id, message_ts="102.1", text="b", now=later)
        steps = store.list_steps(session, recording_id=recording_id)
    assert again is False
    assert [(s.message_ts, s.text) for s in steps] == [("101.1", "a"), ("102.1", "b")]


def test_only_a_recording_still_taking_steps_is_found_in_its_thread(db):
    with db.session() as session:
        recording_id = _start(session)
    with db.session() as session:
        assert store.recording_in_thread(session, channel_id="C1", thread_ts="100.1") is not None
        assert store.recording_in_thread(session, channel_id="C1", thread_ts="999.9") is None
        assert store.recording_in_thread(session, channel_id="C2", thread_ts="100.1") is None
        found = store.get_recording(session, recording_id=recording_id)
        assert found is not None
        found.finished_at = AT
    with db.session() as session:
        assert store.recording_in_thread(session, channel_id="C1", thread_ts="100.1") is None


def test_deleting_a_recording_deletes_its_steps(db):
    with db.session() as session:
        recording_id = _start(session)
        store.add_step(session, recording_id=recording_id, message_ts="1.1", text="a", now=AT)
    with db.session() as session:
        store.delete_recording(session, recording_id=recording_id)
    with db.session() as session:
        assert store.list_steps(session, recording_id=recording_id) == []
        assert store.get_recording(session, recording_id=recording_id) is None


def test_0014_goes_down_and_up(database_url):
    database = Database(database_url)
    try:
        migrate.upgrade(database.engine)
        config = migrate.alembic_config()
        with database.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0013")
        assert "recordings" not in inspect(database.engine).get_table_names()
        assert migrate.upgrade(database.engine) is True
        tables = set(inspect(database.engine).get_table_names())
        assert {"recordings", "recording_steps"} <= tables
    finally:
        database.dispose()


def _hear(db, user_id: str, ts: str) -> recording.Heard | None:
    with db.session() as session:
        return recording.hear(
            session,
            channel_id="C1",
            thread_ts="100.1",
            user_id=user_id,
            message_ts=ts,
            text="x",
            now=AT,
        )


@pytest.mark.parametrize(("user", "expected"), [("U2", (True, False)), ("U1", (1, 2))])
def test_two_messages_at_once_are_taken_one_after_the_other(db, user, expected):
    with db.session() as session:
        _start(session)
    second: list[recording.Heard | None] = []
    with db.session() as session:
        first = recording.hear(
            session,
            channel_id="C1",
            thread_ts="100.1",
            user_id=user,
            message_ts="1",
            text="x",
            now=AT,
        )
        waiting = threading.Thread(target=lambda: second.append(_hear(db, user, "2")))
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()  # held by the first message's lock until it commits
    waiting.join(timeout=10)
    assert first is not None and second[0] is not None
    if user == "U2":  # someone else: told once
        assert (first.tell, second[0].tell) == expected
    else:  # the recorder: numbered in turn
        assert (first.number, second[0].number) == expected


def _finished(db, directory) -> int:
    with db.session() as session:
        recording_id = _start(session)
        store.add_step(session, recording_id=recording_id, message_ts="1.1", text="Unlock", now=AT)
    with db.session() as session:
        recording.finish(
            session, recording_id=recording_id, user_id="U1", directory=directory, now=AT
        )
    return recording_id


def _publish(db, recording_id: int, directory) -> str:
    try:
        with db.session() as session:
            done = recording.publish(
                session, recording_id=recording_id, publisher="U2", directory=directory, now=AT
            )
    except recording.Refused as exc:
        return str(exc)
    done.pending.apply()
    return "published"


def test_two_publishes_at_once_publish_once(db, tmp_path):
    recording_id = _finished(db, tmp_path)
    second: list[str] = []
    with db.session() as session:
        done = recording.publish(
            session, recording_id=recording_id, publisher="U2", directory=tmp_path, now=AT
        )
        waiting = threading.Thread(
            target=lambda: second.append(_publish(db, recording_id, tmp_path))
        )
        waiting.start()
        waiting.join(timeout=0.5)
        assert waiting.is_alive()  # held by the first press's lock until it commits
    done.pending.apply()
    waiting.join(timeout=10)
    assert second == ["Already published (`open-the-shop` v1); nothing was changed."]
    assert [p.name for p in tmp_path.glob("*.md")] == ["open-the-shop.md"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Revision)) == 1


def test_finish_twice_is_refused_and_keeps_the_id(db, tmp_path):
    recording_id = _finished(db, tmp_path)
    (tmp_path / "open-the-shop.md").write_text("someone else's\n")  # would change a new id
    with db.session() as session, pytest.raises(recording.Refused, match="finished already"):
        recording.finish(
            session, recording_id=recording_id, user_id="U1", directory=tmp_path, now=AT
        )
    with db.session() as session:
        assert store.get_recording(session, recording_id=recording_id).slug == "open-the-shop"
