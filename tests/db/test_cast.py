"""The stored cast (who holds which role) and hand-off waits in the digest, on each database."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.core.kpis import digest_text
from bot.db.models import Event, SopRecord
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.services import cast, handoffs
from bot.services import digest as digests
from bot.services.audience import Audience, Person, Unresolved, admitted
from bot.services.publish import publish_directory
from bot.slack.kpis.blocks import digest_message
from tests.conftest import SAMPLE_SOPS
from tests.db.feedback_helpers import RENDER

BERLIN = ZoneInfo("Europe/Berlin")
AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


def publish(db: Database, tmp_path: Path) -> None:
    directory = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, directory)
    with db.session() as session:
        report = publish_directory(session, directory=directory, now=AT, renderers=RENDER)
        assert report.errors == []


def test_holders_are_stored_per_sop_and_role_and_replaced_on_refresh(db: Database, tmp_path):
    publish(db, tmp_path)
    with db.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == "refund-request")).one()
        lead = cast.RoleCast("Team lead", (Person("U1"), Person("U2")), ())
        cast.refresh(session, record=record, roles=[lead], now=AT)
    with db.session() as session:
        assert cast.holders(session, sop="refund-request", role="team lead") == ["U1", "U2"]
        assert cast.holds_role(session, sop="refund-request", role="Team lead", user_id="U2")
        assert not cast.holds_role(session, sop="refund-request", role="Agent", user_id="U2")
        assert cast.holders(session, sop="no-such-sop", role="Team lead") == []
        record = session.scalars(select(SopRecord).where(SopRecord.slug == "refund-request")).one()
        cast.refresh(session, record=record, roles=[cast.RoleCast("Team lead", (), ())], now=AT)
    with db.session() as session:
        assert cast.holders(session, sop=record.id, role="Team lead") == []


def test_more_than_five_holders_of_a_role_cast_as_a_channel_are_told_in_that_channel(
    db: Database, tmp_path
):
    publish(db, tmp_path)
    with db.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == "refund-request")).one()
        many = tuple(Person(f"U{n}") for n in range(6))
        cast.refresh(session, record=record, roles=[cast.RoleCast("Team lead", many, ())], now=AT)
        tell = handoffs.who_to_tell
        assert tell(
            session, sop_id=record.id, role="Team lead", channel_ids=["C9"], skip=set()
        ) == (handoffs.Audience(channel_id="C9"))
        few = tell(session, sop_id=record.id, role="Team lead", channel_ids=["C9"], skip={"U0"})
        assert few == handoffs.Audience(user_ids=("U1", "U2", "U3", "U4", "U5"))
        # No channel in the cast: the first five get a DM.
        assert (
            len(
                tell(
                    session, sop_id=record.id, role="Team lead", channel_ids=[], skip=set()
                ).user_ids
            )
            == 5
        )


def test_external_people_are_cast_and_trained_unless_the_policy_denies_them():
    staff, guest = Person("U1"), Person("U2", external="guest")
    both = Audience((staff, guest), ())
    assert admitted(both, policy="listed") == both
    assert admitted(both, policy="deny") == Audience(
        (staff,), (), (Unresolved("U2", "guest; EXTERNAL_PEOPLE=deny"),)
    )


def test_the_digest_names_an_sop_whose_hand_offs_got_slower(db: Database, tmp_path):
    publish(db, tmp_path)
    day = date(2026, 12, 14)
    with db.session() as session:
        workspace_id = default_workspace(session).id
        record = session.scalars(select(SopRecord).where(SopRecord.slug == "refund-request")).one()
        for days_ago, minutes in [(9, 4), (10, 6), (11, 8), (1, 12), (2, 14), (3, 16)]:
            session.add(
                Event(
                    workspace_id=workspace_id,
                    at=datetime(2026, 12, 14, 12, tzinfo=UTC) - timedelta(days=days_ago),
                    kind="handoff_taken",
                    user_id="U1",
                    sop_id=record.id,
                    revision_id=record.current_revision_id,
                    step_number=4,
                    data={"role": "Team lead", "seconds": minutes * 60.0},
                )
            )
    with db.session() as session:
        now = datetime(2026, 12, 15, 8, tzinfo=UTC)
        result = digests.report(session, workspace_id=workspace_id, day=day, tz=BERLIN, now=now)
    slower = result.digest.slower_handoffs
    assert [(s.slug, s.median_seconds, s.previous_median_seconds) for s in slower] == [
        ("refund-request", 840.0, 360.0)
    ]
    assert (
        "- Handle a refund request: hand-offs got slower, median wait 14 min (was 6.0 min)"
        in digest_text(result.digest)
    )
    message = digest_message(result.digest, with_chart=False)
    line = next(b for b in message["blocks"] if b["block_id"] == "digest-handoffs")
    assert "Handle a refund request: hand-offs got slower" in line["elements"][0]["text"]
    # A managers channel's digest covers only its SOPs: another SOP's slowdown is not in it.
    with db.session() as session:
        team = digests.report(
            session, workspace_id=workspace_id, day=day, tz=BERLIN, now=now,
            slugs=frozenset({"customer-inquiry"}),
        )  # fmt: skip
    assert team.digest.slower_handoffs == ()
    assert "hand-offs got slower" not in digest_text(team.digest)
