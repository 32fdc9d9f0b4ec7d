"""Feedback storage, routing, handling and auto-linking, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.cli import main
from bot.db import outbox
from bot.db.feedback import Feedback, FeedbackRoute
from bot.db.outbox import OutboxMessage
from bot.db.session import Database
from bot.services import feedback_handling as handling
from bot.services import feedback_lists as lists
from bot.services.feedback import Routing
from bot.services.publish import publish_directory
from tests.db.feedback_helpers import MARIA, PRIYA, RENDER, SAM, T0, sops, submit

__all__ = ["sops"]  # a fixture


def outbox_rows(db: Database) -> dict[str, OutboxMessage]:
    with db.session() as session:
        return {row.key: row for row in session.scalars(select(OutboxMessage))}


def deliver_all(db: Database) -> None:
    """Pretend the dispatcher sent every post (updates need the posts' ts)."""
    with db.session() as session:
        for row in session.scalars(select(OutboxMessage).where(OutboxMessage.state == "pending")):
            outbox.mark_sent(session, message_id=row.id, channel="D1", ts=f"{row.id}.0", now=T0)


def test_feedback_is_stored_and_routed_to_the_owner_and_for_problems_the_managers(db, sops):
    given = submit(db)
    assert given.verdict == "ok" and given.recipients == (SAM, "C01OPSMGRS")
    assert given.item.step_title == "Decide who approves" and given.item.revision == 1
    rows = outbox_rows(db)
    assert rows["feedback:1:owner"].user_id == SAM
    assert rows["feedback:1:managers"].channel_id == "C01OPSMGRS"
    assert submit(db, kind="praise", step=1).recipients == (SAM,)
    nobody = submit(db, owner_id=None, routing=Routing(None, frozenset({"U0ADMIN01"})))
    assert nobody.recipients == ("U0ADMIN01",) and not nobody.owner_reached
    assert "could not be reached" in outbox_rows(db)["feedback:3:admin-U0ADMIN01"].text


def test_invalid_drafts_and_resubmissions_store_nothing_new(db, sops):
    assert set(submit(db, text=" ").problems) == {"text"}
    assert set(submit(db, text="x" * 3001).problems) == {"text"}
    assert set(submit(db, step=8).problems) == {"step"}
    assert set(submit(db, slug="no-such-sop").problems) == {"sop"}
    assert set(submit(db, kind="rant").problems) == {"kind"}
    assert submit(db, text="x" * 3000, source_key="view:V1").verdict == "ok"
    assert submit(db, source_key="view:V1").verdict == "duplicate"
    with db.session() as session:
        assert len(session.scalars(select(Feedback)).all()) == 1


def test_status_changes_once_update_sent_messages_and_tell_the_author(db, sops):
    submit(db)
    deliver_all(db)

    def move(status: str, by: str = SAM, reason: str | None = None) -> str:
        with db.session() as session:
            return handling.change_status(
                session, feedback_id=1, status=status, by=by, reason=reason, render=RENDER, now=T0
            ).verdict

    assert move("acknowledged") == "ok"
    assert move("acknowledged") == "stale"
    assert move("resolved", reason="  fixed  ") == "ok"
    assert move("wont_fix") == "stale"
    rows = outbox_rows(db)
    assert rows["feedback:1:owner:v1"].update_ts == rows["feedback:1:owner"].sent_ts
    assert rows["feedback:1:managers:v2"].text == "routed #1 resolved"
    assert rows["feedback:1:v1:author"].user_id == MARIA
    assert rows["feedback:1:v2:author"].text == "now resolved"
    with db.session() as session:
        fb = session.get(Feedback, 1)
        assert (fb.status, fb.status_reason, fb.handled_by, fb.version) == (
            "resolved",
            "fixed",
            SAM,
            2,
        )
    with pytest.raises(ValueError):
        move("withdrawn")


def test_undo_only_for_the_author_within_ten_minutes_and_unsent_messages_are_dropped(db, sops):
    submit(db)
    submit(db, step=4)
    deliver_all(db)
    submit(db, step=5)
    with db.session() as session:  # a dispatcher already tried this one once
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == "feedback:3:managers")
            .values(attempts=1)
        )

    def undo(feedback_id: int, user: str = MARIA, at: datetime = T0) -> str:
        with db.session() as session:
            return handling.withdraw(
                session, feedback_id=feedback_id, user_id=user, render=RENDER, now=at
            ).verdict

    assert undo(1, PRIYA) == "not_author"
    assert undo(1, at=T0 + timedelta(minutes=10, seconds=1)) == "too_late"
    assert undo(1, at=T0 + timedelta(minutes=10)) == "ok"
    assert undo(1) == "stale"
    assert undo(3) == "ok"
    rows = outbox_rows(db)
    assert "feedback:1:owner:v1" in rows  # sent: updated in place
    assert "feedback:3:owner" not in rows  # never tried: cancelled
    assert "feedback:3:managers" in rows  # maybe in flight: kept
    with db.session() as session:
        assert session.get(Feedback, 1).text == "" and session.get(Feedback, 2).status == "open"
        routes = session.scalars(select(FeedbackRoute.key).where(FeedbackRoute.feedback_id == 3))
        assert set(routes) == {"feedback:3:owner", "feedback:3:managers"}


def test_publishing_a_change_to_the_step_links_open_feedback_and_tells_its_author(db, sops):
    submit(db, step=3)  # will be addressed
    submit(db, PRIYA, step=3, anonymous=True)  # addressed, nobody to tell
    submit(db, PRIYA, step=5)  # other step
    submit(db, step=3, kind="praise")
    with db.session() as session:
        session.execute(update(Feedback).where(Feedback.id == 4).values(status="resolved"))
    path = sops / "support" / "refund-request.md"
    path.write_text(
        path.read_text().replace("mention the team lead on shift", "use the approval form")
    )
    with db.session() as session:
        report = publish_directory(
            session, directory=sops, now=T0 + timedelta(days=1), renderers=RENDER
        )
    assert [o.new_number for o in report.new_revisions] == [2]
    with db.session() as session:
        linked = {
            fb.id: fb.addressed_revision.number if fb.addressed_revision else None
            for fb in session.scalars(select(Feedback))
        }
    assert linked == {1: 2, 2: 2, 3: None, 4: None}
    told = {k: r for k, r in outbox_rows(db).items() if ":addressed:" in k}
    assert list(told) == ["feedback:1:addressed:2"]
    assert told["feedback:1:addressed:2"].text.startswith(
        "✏️ Your feedback on step 3 of Handle a refund request led to a change in v2"
    )
    with db.session() as session:  # publishing again changes nothing and tells no one twice
        publish_directory(session, directory=sops, now=T0 + timedelta(days=2), renderers=RENDER)
    assert len([k for k in outbox_rows(db) if ":addressed:" in k]) == 1


def test_lists_and_the_csv_export(db, sops, tmp_path, monkeypatch, capsys):
    submit(db, text='=HYPERLINK("http://evil")')
    submit(db, PRIYA, step=2, anonymous=True, now=T0 + timedelta(minutes=1))
    submit(db, slug="customer-inquiry", step=1, now=T0 + timedelta(minutes=2))
    with db.session() as session:
        assert [i.feedback_id for i in lists.open_items(session)] == [1, 2, 3]
        assert [i.feedback_id for i in lists.open_items(session, slugs={"customer-inquiry"})] == [3]
        assert [i.feedback_id for i in lists.given_by(session, user_id=MARIA)] == [3, 1]
        assert lists.given_by(session, user_id=PRIYA) == []
    monkeypatch.setenv("DATABASE_URL", db.url)
    out = tmp_path / "feedback.csv"
    assert main(["feedback", "export", "--format", "csv", "--output", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["text"] == '\'=HYPERLINK("http://evil")' and rows[0]["author"] == MARIA
    assert rows[1]["author"] == "" and rows[1]["anonymous"] == "yes"
    assert rows[2]["step_title"] == "Claim the inquiry within 5 minutes"
    assert main(["feedback", "export"]) == 0
    printed = capsys.readouterr()
    assert list(csv.DictReader(printed.out.splitlines())) == rows
    assert "exported 3 feedback item(s) to stdout" in printed.err
