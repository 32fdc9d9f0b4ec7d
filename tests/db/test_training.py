"""Training records on each database: assignments, supersession, quizzes, reminders."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.db import sops as repo
from bot.db.outbox import OutboxMessage
from bot.db.training import Assignment, QuizAnswer, QuizAttempt
from bot.services import quizzes
from bot.services.audience import Audience, Person, Unresolved
from bot.services.publish import publish_directory
from bot.services.reminders import send_reminders
from bot.services.training import (
    TrainingRenderers,
    _reopen,
    assign,
    latest_material_revision,
    withdraw_leavers,
)
from tests.conftest import SAMPLE_SOPS
from tests.db.feedback_helpers import RENDER as FEEDBACK_RENDER

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
DAY = timedelta(days=1)
REFUND = "support/refund-request.md"
OWNER = Person("U01SAMLEAD", tz="Europe/London")
RENDER = TrainingRenderers(
    invitation=lambda i: {"text": f"train {i.user_id} on {i.slug} v{i.revision}"},
    unresolved=lambda n: {"text": "unresolved: " + ", ".join(u.entry for u in n.unresolved)},
    reminder=lambda r: {"text": f"reminder {r.number} for {r.user_id}"},
    overdue=lambda n: {"text": "overdue: " + " ".join(u for u, _ in n.people)},
)


def people(*ids: str, tz: str = "Europe/Berlin", unresolved=()) -> Audience:
    return Audience(tuple(Person(i, tz=tz) for i in ids), tuple(unresolved))


@pytest.fixture
def sops_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, target)
    return target


def publish(db, directory: Path, *, at: datetime = T0, minor: bool = False) -> None:
    with db.session() as session:
        assert (
            publish_directory(
                session, directory=directory, now=at, minor=minor, renderers=FEEDBACK_RENDER
            ).errors
            == []
        )


def change_step(directory: Path, old: str, new: str) -> None:
    path = directory / REFUND
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def assign_refund(db, audience: Audience, *, at: datetime = T0, owner=OWNER):
    with db.session() as session:
        workspace = repo.default_workspace(session)
        record = repo.get_sop(session, workspace_id=workspace.id, slug="refund-request")
        revision = latest_material_revision(session, sop_id=record.id)
        return assign(
            session,
            record=record,
            revision=revision,
            audience=audience,
            owner=owner,
            now=at,
            render=RENDER,
        )


def outbox_rows(db) -> dict[str, OutboxMessage]:
    with db.session() as session:
        return {m.key: m for m in session.scalars(select(OutboxMessage))}


def assignments(db) -> list[Assignment]:
    with db.session() as session:
        return list(session.scalars(select(Assignment).order_by(Assignment.id)))


def assignment_of(db, user_id: str) -> Assignment:
    return next(a for a in reversed(assignments(db)) if a.user_id == user_id)


def remind(db, at: datetime):
    with db.session() as session:
        return send_reminders(
            session,
            now=at,
            interval=2 * DAY,
            render=RENDER,
            owner_id=lambda owner: owner,
        )


# --- assignments ---------------------------------------------------------------------------


def test_assigning_creates_one_record_and_one_dm_per_person_and_is_idempotent(db, sops_dir):
    publish(db, sops_dir)
    result = assign_refund(db, people("U1", "U2"))
    assert (result.revision, result.audience, result.created) == (1, 2, 2)
    again = assign_refund(db, people("U1", "U2", "U3"), at=T0 + DAY)
    assert again.created == 1  # only the newcomer
    rows = assignments(db)
    assert [(a.user_id, a.status, a.tz) for a in rows] == [
        ("U1", "pending", "Europe/Berlin"),
        ("U2", "pending", "Europe/Berlin"),
        ("U3", "pending", "Europe/Berlin"),
    ]
    keys = sorted(k for k in outbox_rows(db) if k.startswith("training:"))
    revision_id = rows[0].revision_id
    assert keys == [f"training:{revision_id}:{u}" for u in ("U1", "U2", "U3")]
    assert outbox_rows(db)[keys[0]].text == "train U1 on refund-request v1"


def test_a_newer_material_revision_supersedes_open_and_passed_records(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1", "U2"))
    with db.session() as session:
        first = quizzes.start_quiz(
            session, assignment_id=assignment_of(db, "U1").id, user_id="U1", now=T0, seed=1
        )
    assert first.verdict == "ok" and not first.finished
    change_step(sops_dir, "Set the reason code", "Always set the reason code")
    publish(db, sops_dir, at=T0 + DAY)
    result = assign_refund(db, people("U1", "U2"), at=T0 + DAY)
    assert (result.revision, result.created, result.superseded) == (2, 2, 2)
    old = [a for a in assignments(db) if a.superseded_at is not None]
    assert [(a.user_id, a.status) for a in old] == [("U1", "superseded"), ("U2", "superseded")]
    with db.session() as session:
        attempt = session.get(QuizAttempt, first.attempt_id)
        assert attempt.status == "closed"  # not failed: the revision moved on
        answered = quizzes.answer_question(
            session, attempt_id=first.attempt_id, position=0, chosen=[0], user_id="U1", now=T0
        )
    assert answered.verdict == "superseded"
    assert [a.status for a in assignments(db)[-2:]] == ["pending", "pending"]


def test_a_minor_revision_assigns_nothing_new(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1"))
    change_step(sops_dir, "Set the reason code", "Set the reason-code")
    publish(db, sops_dir, at=T0 + DAY, minor=True)
    result = assign_refund(db, people("U1"), at=T0 + DAY)
    assert (result.revision, result.created, result.superseded) == (1, 0, 0)
    assert len(assignments(db)) == 1


def test_unresolved_entries_are_told_to_the_owner_once_per_revision(db, sops_dir):
    publish(db, sops_dir)
    missing = (Unresolved("U0G9QF9C6", "no Slack user with that ID"),)
    assert assign_refund(db, people("U1", unresolved=missing)).owner_told is True
    assign_refund(db, people("U1", unresolved=missing), at=T0 + DAY)
    notes = [m for k, m in outbox_rows(db).items() if k.startswith("unresolved:")]
    assert [(m.user_id, m.text) for m in notes] == [(OWNER.id, "unresolved: U0G9QF9C6")]
    assert assign_refund(db, people("U1", unresolved=missing), owner=None).owner_told is False


# --- quizzes -------------------------------------------------------------------------------


def answer_all(db, view, user_id: str, *, right: bool) -> quizzes.QuizView:
    for position, asked in enumerate(view.questions):
        chosen = list(asked.correct) if right else [len(asked.options) - 1 - asked.correct[0]]
        if not right and set(chosen) == set(asked.correct):
            chosen = [i for i in range(len(asked.options)) if i not in asked.correct][:1]
        with db.session() as session:
            view = quizzes.answer_question(
                session,
                attempt_id=view.attempt_id,
                position=position,
                chosen=chosen,
                user_id=user_id,
                now=T0 + timedelta(minutes=position),
            )
        assert view.verdict == "ok" and view.answered.right is right
    return view


def start(db, user_id: str, *, seed: int = 7) -> quizzes.QuizView:
    with db.session() as session:
        return quizzes.start_quiz(
            session, assignment_id=assignment_of(db, user_id).id, user_id=user_id, now=T0, seed=seed
        )


def test_a_perfect_quiz_passes_and_every_answer_is_stored(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1"))
    view = start(db, "U1")
    assert len(view.questions) == 5  # the first revision asks every question
    done = answer_all(db, view, "U1", right=True)
    assert done.finished and done.passed and done.score == 100
    record = assignment_of(db, "U1")
    assert (record.status, record.score, record.attempts) == ("current", 100, 1)
    assert record.passed_at is not None
    with db.session() as session:
        assert session.scalar(select(func.count(QuizAnswer.id))) == 5
        replay = quizzes.answer_question(
            session, attempt_id=view.attempt_id, position=4, chosen=[0], user_id="U1", now=T0
        )
    assert replay.verdict == "stale"
    assert start(db, "U1").verdict == "done"


def test_someone_else_cannot_start_or_answer(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1", "U2"))
    with db.session() as session:
        theirs = quizzes.start_quiz(
            session, assignment_id=assignment_of(db, "U1").id, user_id="U2", now=T0, seed=1
        )
    assert theirs.verdict == "not_yours"
    view = start(db, "U1")
    with db.session() as session:
        forged = quizzes.answer_question(
            session, attempt_id=view.attempt_id, position=0, chosen=[0], user_id="U2", now=T0
        )
        assert forged.verdict == "not_yours"
        assert session.scalar(select(func.count(QuizAnswer.id))) == 0


def test_a_fail_then_a_reshuffled_retry_and_the_old_retry_button_is_stale(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1"))
    failed = answer_all(db, start(db, "U1", seed=1), "U1", right=False)
    assert failed.finished and failed.passed is False and failed.score == 0
    assert [title for _, title in failed.review] == [
        "Verify the order",
        "Decide who approves",
        "Approve refunds over $200",
        "Issue the refund",
        "Confirm to the customer",
    ]
    assert assignment_of(db, "U1").status == "pending"
    with db.session() as session:
        again = quizzes.retry_quiz(
            session, attempt_id=failed.attempt_id, user_id="U1", now=T0, seed=2
        )
    assert again.attempt_number == 2 and again.position == 0
    assert [q.options for q in again.questions] != [q.options for q in failed.questions]
    with db.session() as session:
        double = quizzes.retry_quiz(
            session, attempt_id=failed.attempt_id, user_id="U1", now=T0, seed=3
        )
    assert double.verdict == "stale"
    passed = answer_all(db, again, "U1", right=True)
    assert passed.passed and assignment_of(db, "U1").attempts == 2


def test_two_presses_of_the_same_answer_at_once_store_one_answer(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1"))
    view = start(db, "U1")
    verdicts: list[str] = []

    def press() -> None:
        with db.session() as session:
            verdicts.append(
                quizzes.answer_question(
                    session,
                    attempt_id=view.attempt_id,
                    position=0,
                    chosen=[0],
                    user_id="U1",
                    now=T0,
                ).verdict
            )

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(verdicts) == ["ok", "stale", "stale", "stale"]
    with db.session() as session:
        assert session.scalar(select(func.count(QuizAnswer.id))) == 1


# --- reminders -----------------------------------------------------------------------------


def test_two_reminders_in_waking_hours_then_overdue_and_one_owner_note_a_day(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("UBER"))  # Berlin
    assign_refund(db, people("UNY", tz="America/New_York"))
    assert remind(db, T0 + DAY).reminders == 0
    first = remind(db, T0 + 2 * DAY)  # Thursday 10:00 Berlin, 04:00 in New York
    assert (first.reminders, first.deferred) == (2, 1)
    assert remind(db, T0 + 2 * DAY + timedelta(minutes=10)).reminders == 0  # idempotent
    rows = outbox_rows(db)
    ber, ny = assignment_of(db, "UBER"), assignment_of(db, "UNY")
    assert rows[f"reminder:{ber.id}:1"].next_attempt_at == T0 + 2 * DAY
    assert rows[f"reminder:{ny.id}:1"].next_attempt_at == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    second = remind(db, T0 + 4 * DAY)  # Saturday: both wait for Monday 08:00 local
    assert (second.reminders, second.deferred) == (2, 2)
    rows = outbox_rows(db)
    assert rows[f"reminder:{ber.id}:2"].next_attempt_at == datetime(2026, 12, 7, 7, tzinfo=UTC)
    assert rows[f"reminder:{ny.id}:2"].next_attempt_at == datetime(2026, 12, 7, 13, tzinfo=UTC)
    overdue = remind(db, T0 + 6 * DAY)
    assert (overdue.overdue, overdue.owners_told, overdue.reminders) == (2, 1, 0)
    note = [m for k, m in outbox_rows(db).items() if k.startswith("overdue:")]
    assert [(m.user_id, m.text) for m in note] == [(OWNER.id, "overdue: UBER UNY")]
    assert {a.status for a in assignments(db)} == {"overdue"}
    assert remind(db, T0 + 6 * DAY + timedelta(hours=1)).owners_told == 0


def test_someone_newly_overdue_later_the_same_day_waits_for_the_next_days_note(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1"))
    assign_refund(db, people("U2"), at=T0 + timedelta(hours=3))
    assert remind(db, T0 + 6 * DAY).owners_told == 1
    later = remind(db, T0 + 6 * DAY + timedelta(hours=4))
    assert (later.overdue, later.owners_told) == (1, 0)  # one note per SOP per day
    assert remind(db, T0 + 7 * DAY).owners_told == 1
    notes = sorted(k for k in outbox_rows(db) if k.startswith("overdue:"))
    assert [k.rsplit(":", 1)[1] for k in notes] == ["2026-12-07", "2026-12-08"]


def test_passing_stops_reminders(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1"))
    answer_all(db, start(db, "U1"), "U1", right=True)
    assert remind(db, T0 + 5 * DAY) == remind(db, T0 + 9 * DAY)
    assert not [k for k in outbox_rows(db) if k.startswith(("reminder:", "overdue:"))]


def test_submitting_no_answer_is_refused_and_keeps_the_question_open(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1"))
    view = start(db, "U1")
    with db.session() as session:
        empty = quizzes.answer_question(
            session, attempt_id=view.attempt_id, position=0, chosen=[], user_id="U1", now=T0
        )
    assert (empty.verdict, empty.position) == ("empty", 0)
    assert answer_all(db, view, "U1", right=True).passed


def test_a_withdrawn_assignment_is_reopened_once_when_two_passes_see_it(db, sops_dir):
    publish(db, sops_dir)
    assign_refund(db, people("U1", "U2"))
    with db.session() as session:
        revision = session.get(Assignment, assignment_of(db, "U2").id).revision
        assert withdraw_leavers(session, revision=revision, audience=people("U1"), now=T0) == 1
    later = T0 + DAY
    with db.session() as session:
        seen = session.get(Assignment, assignment_of(db, "U2").id)
        assert seen.status == "withdrawn"
        # Another pass reopened it after this one read it (PostgreSQL lets both read at once).
        session.execute(update(Assignment).where(Assignment.id == seen.id).values(status="pending"))
        assert _reopen(session, seen, Person("U2"), later) is False
    result = assign_refund(db, people("U1", "U2"), at=later)
    assert result.created == 0  # already back: nobody is invited twice
