"""Scheduled runs on each database: an occurrence is claimed once, even by racing processes."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.db.outbox import OutboxMessage
from bot.db.scheduled import ScheduledRun
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.services import scheduled_runs
from bot.services.publish import publish_directory
from bot.slack.renderers import build_renderers
from tests.conftest import SAMPLE_SOPS
from tests.db.feedback_helpers import RENDER

NOW = datetime(2026, 11, 30, 20, 5, tzinfo=UTC)
SOP = (
    '---\nid: close-till\nschedule: ["every day 20:00 #ops"]\ndue: 30m\n---\n'
    "# Close the till\n\n## Steps\n### Count\nCount it.\n"
)


def test_racing_processes_claim_and_post_an_occurrence_once(db: Database, tmp_path: Path):
    shutil.copytree(SAMPLE_SOPS, tmp_path / "sops")
    (tmp_path / "sops" / "close-till.md").write_text(SOP)
    with db.session() as session:
        publish_directory(session, directory=tmp_path / "sops", now=NOW, renderers=RENDER)
    with db.session() as session:
        workspace_id = default_workspace(session).id
        (occurrence,) = scheduled_runs.unclaimed(
            session, workspace_id=workspace_id, now=NOW, default_tz="UTC"
        )
    render = build_renderers().scheduled
    results: list[str | None] = []
    barrier = threading.Barrier(4)

    def claim(by: str) -> None:
        barrier.wait()
        with db.session() as session:
            results.append(
                scheduled_runs.start(
                    session,
                    workspace_id=workspace_id,
                    occurrence=occurrence,
                    channel_id="C01OPS0001",
                    now=NOW,
                    by=by,
                    render=render,
                )  # fmt: skip
            )

    threads = [threading.Thread(target=claim, args=(f"p{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results, key=str) == [None, None, None, "posted"]
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ScheduledRun)) == 1
        keys = session.scalars(select(OutboxMessage.key)).all()
        assert len([k for k in keys if k.startswith("scheduled:") and k.endswith(":post")]) == 1
        assert (
            scheduled_runs.unclaimed(session, workspace_id=workspace_id, now=NOW, default_tz="UTC")
            == []
        )


def test_at_a_dst_change_a_run_falls_due_at_the_same_wall_clock_time(db: Database, tmp_path: Path):
    shutil.copytree(SAMPLE_SOPS, tmp_path / "sops")
    (tmp_path / "sops" / "close-till.md").write_text(
        SOP.replace("due: 30m", "due: 30m\ntimezone: Europe/Berlin").replace("20:00", "21:00")
    )
    published = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    with db.session() as session:
        publish_directory(session, directory=tmp_path / "sops", now=published, renderers=RENDER)
        workspace_id = default_workspace(session).id

    def due(now: datetime) -> list[datetime]:
        with db.session() as session:
            found = scheduled_runs.unclaimed(
                session, workspace_id=workspace_id, now=now, default_tz="UTC"
            )
        return [o.scheduled_for for o in found if o.slug == "close-till"]

    # Saturday 21:00 CET is 20:00 UTC; Sunday, after the clocks went forward, 21:00 CEST is 19:00.
    assert due(datetime(2026, 3, 28, 20, 5, tzinfo=UTC)) == [
        datetime(2026, 3, 27, 20, 0, tzinfo=UTC),  # Friday's, since the publish at noon
        datetime(2026, 3, 28, 20, 0, tzinfo=UTC),
    ]
    assert due(datetime(2026, 3, 29, 19, 1, tzinfo=UTC))[-1] == datetime(
        2026, 3, 29, 19, 0, tzinfo=UTC
    )
    assert due(datetime(2026, 3, 29, 20, 1, tzinfo=UTC))[-1] == datetime(
        2026, 3, 29, 19, 0, tzinfo=UTC
    )
