"""Forgetting on each database: event claims after a day, personal data after RETENTION_DAYS,
without changing a single KPI."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.config import Settings
from bot.core.kpis import day_window, local_day
from bot.db import outbox
from bot.db.digest import KpiPerson, KpiRollup
from bot.db.events import claim_event
from bot.db.feedback import Feedback
from bot.db.models import Event, Run
from bot.db.outbox import OutboxMessage
from bot.db.rollups import counts_from_json
from bot.db.session import Database
from bot.jobs.retention import forget, forget_claims
from bot.jobs.scheduler import STANDARD_JOBS
from bot.runtime import Runtime
from bot.services import feedback_handling as handling
from bot.services.kpi_export import export_rows
from bot.services.retention import SENT_TEXT_DAYS
from tests.db.test_digest import BERLIN, FIRST, NOW, make_data
from tests.db.test_feedback import RENDER, SAM, T0, deliver_all, sops, submit

__all__ = ["sops"]  # the feedback tests' fixture, used here too
LAST = date(2026, 4, 2)  # the last local day of make_data's activity
KEPT_DAY = date(2026, 3, 25)  # a run of this day stays open
RETENTION = 90
LATER = NOW + timedelta(days=RETENTION + 3)  # every day of the data is past retention


def runtime_at(db: Database, now: datetime) -> Runtime:
    settings = Settings(digest_tz="Europe/Berlin", retention_days=RETENTION)
    return Runtime(settings=settings, database=db, clock=lambda: now)


def export(db: Database, workspace_id: int, now: datetime) -> list[dict[str, str]]:
    with db.session() as session:
        return list(export_rows(session, workspace_id=workspace_id, tz=BERLIN,
                                since=FIRST, until=LAST, now=now))  # fmt: skip


def finish_runs(db: Database, *, keep_open_on: date | None, at: datetime) -> None:
    """Complete every open run, except those started on `keep_open_on`."""
    kept = day_window(keep_open_on, BERLIN) if keep_open_on else None
    with db.session() as session:
        for run in session.scalars(select(Run).where(Run.status == "active")):
            if kept is None or not kept.start <= run.started_at < kept.end:
                run.status, run.finished_at = "completed", at


def named_on(db: Database, day: date) -> tuple[int, int]:
    """(events, runs with a person) of a local day."""
    window = day_window(day, BERLIN)
    with db.session() as session:
        events = session.scalar(
            select(func.count(Event.id)).where(Event.at >= window.start, Event.at < window.end)
        )
        runs = session.scalar(
            select(func.count(Run.id)).where(
                Run.started_at >= window.start, Run.started_at < window.end, Run.user_id != ""
            )
        )
    return events, runs


def numbered_people(db: Database) -> set[int]:
    """The person numbers still stored (each with a user ID)."""
    with db.session() as session:
        return set(session.scalars(select(KpiPerson.id)))


def numbers_in(rollups: list[KpiRollup]) -> set[int]:
    """The person numbers these stored rollups hold."""
    return {n for r in rollups for n in counts_from_json(r.counts).people.numbers()}


def test_days_past_retention_are_rolled_up_then_forgotten_and_every_kpi_stays(db, tmp_path):
    workspace_id = make_data(db, tmp_path, runs=200)
    finish_runs(db, keep_open_on=KEPT_DAY, at=NOW)
    before = export(db, workspace_id, LATER)  # from the raw records: nothing is rolled up
    runtime = runtime_at(db, LATER)

    days = [FIRST + timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    assert all(named_on(db, day) != (0, 0) for day in days)

    report = forget(runtime)

    assert (report.days, report.kept_open) == (len(days) - 1, 1)
    assert report.events > 0 and report.runs > 0
    assert export(db, workspace_id, LATER) == before
    for day in days:
        events, runs = named_on(db, day)
        assert (events > 0 and runs > 0) if day == KEPT_DAY else (events, runs) == (0, 0), day
    with db.session() as session:
        rollups = list(session.scalars(select(KpiRollup).where(KpiRollup.day != KEPT_DAY)))
        kept = list(session.scalars(select(KpiRollup).where(KpiRollup.day == KEPT_DAY)))
    assert rollups and all(p.startswith("~") for r in rollups for p in r.counts["people"])
    assert all(q == "" for r in rollups for q, _ in r.lists["misses"])
    assert any(r.lists["misses"] for r in rollups)
    assert any(r.counts.get("people_numbers") or r.counts.get("people_bits") for r in kept)
    assert not any(r.counts.get("people_numbers") or r.counts.get("people_bits") for r in rollups)
    # Person numbers, and the user IDs they stand for, go too: all but the kept day's people.
    assert report.people > 0 and numbered_people(db) == numbers_in(kept) != set()
    assert forget(runtime) == replace(report, days=0, events=0, runs=0, people=0)  # idempotent

    # Once the kept day's run ends, its rollups are rebuilt from the raw records, then forgotten.
    finish_runs(db, keep_open_on=None, at=LATER + timedelta(minutes=1))
    later = LATER + timedelta(hours=1)
    before = export(db, workspace_id, later)
    report = forget(runtime_at(db, later))
    assert (report.days, report.kept_open) == (1, 0)
    assert named_on(db, KEPT_DAY) == (0, 0)
    assert export(db, workspace_id, later) == before
    assert numbered_people(db) == set()


def test_nothing_within_retention_is_touched(db, tmp_path):
    make_data(db, tmp_path, runs=60)
    finish_runs(db, keep_open_on=None, at=NOW)
    # The cutoff falls on the last day of data: every earlier day goes, that one stays whole.
    now = datetime.combine(LAST, datetime.min.time(), BERLIN) + timedelta(days=RETENTION, hours=12)
    assert local_day(now - timedelta(days=RETENTION), BERLIN) == LAST
    forget(runtime_at(db, now))
    assert named_on(db, LAST - timedelta(days=1)) == (0, 0)
    events, runs = named_on(db, LAST)
    assert events > 0 and runs > 0


def test_event_claims_are_kept_a_day_then_pruned(db):
    t0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with db.session() as session:
        assert claim_event(session, event_id="Ev01", now=t0)
    forget_claims(runtime_at(db, t0 + timedelta(hours=23)))
    with db.session() as session:
        assert not claim_event(session, event_id="Ev01", now=t0 + timedelta(hours=23))
    forget_claims(runtime_at(db, t0 + timedelta(days=1, seconds=1)))
    with db.session() as session:
        assert claim_event(session, event_id="Ev01", now=t0 + timedelta(days=1, seconds=1))
    assert {"prune-event-claims", "retention"} <= {job.id for job in STANDARD_JOBS}


def test_sent_messages_lose_their_text_but_keep_their_key_and_place(db, sops: Path):
    submit(db)
    deliver_all(db)
    with db.session() as session:  # one more, not sent: it keeps its text
        outbox.enqueue(session, key="note", workspace_id=1, channel_id="C1", text="hi", now=T0)
    forget(runtime_at(db, T0 + timedelta(days=SENT_TEXT_DAYS) - timedelta(seconds=1)))
    with db.session() as session:
        assert "" not in session.scalars(select(OutboxMessage.text)).all()

    forget(runtime_at(db, T0 + timedelta(days=SENT_TEXT_DAYS, seconds=1)))
    with db.session() as session:
        rows = {r.key: r for r in session.scalars(select(OutboxMessage))}
        assert (rows["note"].text, rows["note"].state) == ("hi", "pending")
        sent = [r for r in rows.values() if r.state == "sent"]
        assert sent and all((r.text, r.blocks) == ("", None) for r in sent)
        owner_copy = rows["feedback:1:owner"]
        assert outbox.sent_message(session, key=owner_copy.key) == ("D1", owner_copy.sent_ts)
        # The key still stands: the same message is never queued (and sent) again.
        again = outbox.enqueue(
            session, key=owner_copy.key, workspace_id=1, user_id=SAM, text="x", now=T0
        )
        assert again is False


def test_authors_of_long_closed_feedback_are_forgotten_open_ones_kept(db, sops: Path):
    submit(db)
    submit(db, step=4, text="another one")
    with db.session() as session:
        handling.change_status(session, feedback_id=1, status="resolved", by=SAM, reason=None,
                               render=RENDER, now=T0)  # fmt: skip
    forget(runtime_at(db, T0 + timedelta(days=RETENTION) - timedelta(seconds=1)))
    with db.session() as session:
        assert session.scalars(select(Feedback.author_id).order_by(Feedback.id)).all() == [
            "U01MARIA01",
            "U01MARIA01",
        ]
    forget(runtime_at(db, T0 + timedelta(days=RETENTION, seconds=1)))
    with db.session() as session:
        items = session.scalars(select(Feedback).order_by(Feedback.id)).all()
        assert [(f.author_id, f.text) for f in items] == [
            (None, "the approval link is dead"),
            ("U01MARIA01", "another one"),
        ]
