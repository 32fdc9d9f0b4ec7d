"""Publishing a folder of SOPs: new, changed, unchanged and retired, on each database."""

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError

from bot.core import parse as parse_module
from bot.core.model import Sop
from bot.db import sops as repo
from bot.db.models import QuizQuestion, Revision, StepRecord
from bot.services.publish import publish_directory, publish_new_sop
from tests.conftest import SAMPLE_SOPS
from tests.db.feedback_helpers import RENDER

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REFUND = "support/refund-request.md"


@pytest.fixture
def sops_dir(tmp_path: Path) -> Path:
    target = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, target)
    return target


def publish(db, directory, *, at=T0, minor=False):
    with db.session() as session:
        return publish_directory(
            session, directory=directory, now=at, minor=minor, renderers=RENDER
        )


def statuses(report):
    return {o.slug: o.status for o in report.outcomes}


def test_first_publish_creates_revision_1_of_every_sample(db, sops_dir):
    report = publish(db, sops_dir)
    assert report.errors == []
    assert set(statuses(report).values()) == {"new"}
    assert len(report.outcomes) == 5
    with db.session() as session:
        workspace = repo.default_workspace(session)
        record = repo.get_sop(session, workspace_id=workspace.id, slug="refund-request")
        revision = record.current_revision
        assert revision.number == 1 and revision.material
        sop = Sop.from_dict(revision.content)
        assert sop.title == "Handle a refund request"
        steps = session.scalar(
            select(func.count(StepRecord.id)).where(StepRecord.revision_id == revision.id)
        )
        questions = session.scalar(
            select(func.count(QuizQuestion.id)).where(QuizQuestion.revision_id == revision.id)
        )
        assert steps == len(sop.steps) and questions == len(sop.quiz) >= 4


def test_publishing_twice_is_a_no_op(db, sops_dir):
    publish(db, sops_dir)
    report = publish(db, sops_dir, at=T0 + timedelta(hours=1))
    assert set(statuses(report).values()) == {"unchanged"}
    assert report.new_revisions == []
    with db.session() as session:
        assert session.scalar(select(func.count(Revision.id))) == 5


def test_an_unchanged_file_is_not_parsed_again(db, sops_dir, monkeypatch):
    publish(db, sops_dir)
    parsed = []
    real = parse_module._parse
    monkeypatch.setattr(
        parse_module, "_parse", lambda text, **kw: parsed.append(kw) or real(text, **kw)
    )
    report = publish(db, sops_dir, at=T0 + timedelta(hours=1))
    assert set(statuses(report).values()) == {"unchanged"} and parsed == []


def test_an_unchanged_file_s_stored_content_is_not_read_back(db, sops_dir, monkeypatch):
    # Comparing a file's text with its revision's source is enough: decoding and rebuilding
    # 1,000 revisions' content was a sixth of an unchanged re-publish's time.
    publish(db, sops_dir)
    rebuilt = []
    real = Sop.from_dict
    monkeypatch.setattr(Sop, "from_dict", lambda data: rebuilt.append(data) or real(data))
    report = publish(db, sops_dir, at=T0 + timedelta(hours=1))
    assert set(statuses(report).values()) == {"unchanged"} and rebuilt == []
    assert [(o.slug, o.title) for o in report.outcomes] == [
        ("open-the-day", "Open the day"),
        ("outsourced-work", "Brief and review outsourced work"),
        ("new-hire-onboarding", "Onboard a new hire"),
        ("customer-inquiry", "Answer a customer inquiry within minutes"),
        ("refund-request", "Handle a refund request"),
    ]


def test_changed_files_old_contents_are_read_in_one_query_not_one_each(db, sops_dir):
    publish(db, sops_dir)
    for path in sops_dir.rglob("*.md"):
        if path.name.lower() != "readme.md":
            path.write_text(path.read_text().replace(" the ", " the whole ", 3))
    statements = []
    listen = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        report = publish(db, sops_dir, at=T0 + timedelta(hours=1))
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert set(statuses(report).values()) == {"changed"}
    # The listing's current revisions, then their contents (left unloaded by the listing):
    # one query each, not one per file.
    by_id = [s for s in statements if "WHERE revisions.id" in s]
    assert len(by_id) == 2 and all("WHERE revisions.id IN" in s for s in by_id), by_id


def test_after_an_upgrade_of_the_parser_every_file_is_parsed_once_more(db, sops_dir, monkeypatch):
    publish(db, sops_dir)
    monkeypatch.setattr(parse_module, "PARSER_REVISION", "next")  # as a release would
    parsed = []
    real = parse_module._parse
    monkeypatch.setattr(
        parse_module, "_parse", lambda text, **kw: parsed.append(kw) or real(text, **kw)
    )
    report = publish(db, sops_dir, at=T0 + timedelta(hours=1))
    assert set(statuses(report).values()) == {"unchanged"} and len(parsed) == len(report.outcomes)


def test_a_moved_unchanged_file_keeps_its_sop_and_publishes_again(db, sops_dir):
    publish(db, sops_dir)
    (sops_dir / "billing").mkdir()
    (sops_dir / REFUND).rename(sops_dir / "billing" / "refund-request.md")
    for hour in (1, 2):  # the second publish finds the new path on record
        report = publish(db, sops_dir, at=T0 + timedelta(hours=hour))
        assert set(statuses(report).values()) == {"unchanged"}
    with db.session() as session:
        workspace = repo.default_workspace(session)
        record = repo.get_sop(session, workspace_id=workspace.id, slug="refund-request")
        assert record.path == "billing/refund-request.md" and record.current_revision.number == 1


def test_a_reworded_step_becomes_a_material_revision_2(db, sops_dir):
    publish(db, sops_dir)
    path = sops_dir / REFUND
    path.write_text(path.read_text().replace("Verify the order", "Check the order", 1))
    report = publish(db, sops_dir, at=T0 + timedelta(days=1))
    outcome = next(o for o in report.outcomes if o.slug == "refund-request")
    assert (outcome.status, outcome.old_number, outcome.new_number) == ("changed", 1, 2)
    assert outcome.diff.material
    assert "changed    refund-request v1 -> v2  (material:" in outcome.describe()[0]
    assert any("Check the order" in line for line in outcome.describe()[1:])
    assert statuses(report)["customer-inquiry"] == "unchanged"


def test_whitespace_only_edit_creates_nothing(db, sops_dir):
    publish(db, sops_dir)
    path = sops_dir / REFUND
    path.write_text(path.read_text().replace("\n", "  \r\n"))
    assert statuses(publish(db, sops_dir))["refund-request"] == "unchanged"


def test_minor_flag_makes_a_reworded_revision_non_material(db, sops_dir):
    publish(db, sops_dir)
    path = sops_dir / REFUND
    path.write_text(path.read_text().replace("Verify the order", "Check the order", 1))
    outcome = next(
        o for o in publish(db, sops_dir, minor=True).outcomes if o.slug == "refund-request"
    )
    assert outcome.status == "changed" and not outcome.diff.material


def test_a_deleted_file_retires_its_sop_and_keeps_history(db, sops_dir):
    publish(db, sops_dir)
    (sops_dir / REFUND).unlink()
    report = publish(db, sops_dir)
    assert statuses(report)["refund-request"] == "retired"
    with db.session() as session:
        workspace = repo.default_workspace(session)
        live = {r.slug for r in repo.list_sops(session, workspace_id=workspace.id)}
        everything = repo.list_sops(session, workspace_id=workspace.id, include_retired=True)
        assert "refund-request" not in live
        assert "refund-request" in {r.slug for r in everything}
        assert session.scalar(select(func.count(Revision.id))) == 5
    # Retiring is itself idempotent, and restoring the file brings the SOP back unchanged.
    assert "refund-request" not in statuses(publish(db, sops_dir))
    shutil.copy(SAMPLE_SOPS / REFUND, sops_dir / REFUND)
    assert statuses(publish(db, sops_dir))["refund-request"] == "unchanged"


def test_any_error_publishes_nothing(db, sops_dir):
    (sops_dir / "broken.md").write_text("---\ncolour: red\n---\n# Broken\n\n## Steps\n")
    report = publish(db, sops_dir)
    assert report.outcomes == []
    assert {e.path for e in report.errors} == {"broken.md"}
    with db.session() as session:
        assert session.scalar(select(func.count(Revision.id))) == 0


def test_a_recorded_sop_never_becomes_a_revision_of_an_sop_published_under_its_id(db, sops_dir):
    # recording.publish refuses a taken id first; should an SOP be published under it in
    # between (another process), v1 of the recording fails the unique key: it is never
    # stacked as v2 on someone else's SOP.
    publish(db, sops_dir)
    text = (sops_dir / REFUND).read_text(encoding="utf-8")
    sop = parse_module.parse_sop(text, path=REFUND, default_slug="refund-request")[0]
    assert sop is not None
    with pytest.raises(IntegrityError), db.session() as session:
        publish_new_sop(session, sop=sop, source=text, now=T0, editor="U1", note="recorded")
    with db.session() as session:
        record = repo.get_sop(
            session, workspace_id=repo.default_workspace(session).id, slug="refund-request"
        )
        assert record is not None and record.current_revision.number == 1
