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
