"""The digest on each database: rollups equal the raw records, a day is claimed once, reviews."""

from __future__ import annotations

import random
import shutil
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.config import Settings
from bot.core.kpis import digest_from_records, digest_text, local_day
from bot.core.kpis.tally import merge_counts
from bot.db import digest as store
from bot.db.models import Event, Run, RunVisit, SopRecord
from bot.db.outbox import OutboxMessage
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.jobs.digest import roll_up, send_digest
from bot.runtime import Runtime
from bot.services import digest as digests
from bot.services import kpi_records, kpi_rollups, sop_review
from bot.services.kpi_export import export_rows
from bot.services.publish import publish_directory
from bot.wiring import build_job_context
from tests.conftest import SAMPLE_SOPS
from tests.db.feedback_helpers import RENDER

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = date(2026, 3, 20)  # the data spans Berlin's 23-hour day, 2026-03-29
NOW = datetime(2026, 4, 3, 10, 0, tzinfo=UTC)
QUERIES = ("refund", "Refund  ", "gift card", "onboarding", "")


def publish(db: Database, directory: Path, at: datetime) -> None:
    with db.session() as session:
        assert (
            publish_directory(session, directory=directory, now=at, renderers=RENDER).errors == []
        )


def make_data(db: Database, tmp_path: Path, *, runs: int = 400, seed: int = 7) -> int:
    """Runs (some still open, some on an outdated revision) and lookups over 14 days."""
    directory = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, directory)
    publish(db, directory, datetime(2026, 1, 1, tzinfo=UTC))
    rng = random.Random(seed)
    with db.session() as session:
        workspace_id = default_workspace(session).id
        sops = [(s.id, s.current_revision_id) for s in session.scalars(select(SopRecord))]
        for n in range(runs):
            sop_id, revision_id = rng.choice(sops)
            started = datetime(2026, 3, 19, 23, tzinfo=UTC) + timedelta(
                minutes=rng.randrange(14 * 24 * 60)
            )
            status = rng.choice(("completed", "completed", "abandoned", "active"))
            steps = rng.randint(1, 5)
            run = Run(workspace_id=workspace_id, sop_id=sop_id, revision_id=revision_id,
                      user_id=f"U{rng.randrange(30):03d}", channel_id="C1", status=status,
                      current_step=steps, started_at=started)  # fmt: skip
            session.add(run)
            session.flush()
            at = started
            for step in [*range(1, steps + 1), *([steps] if rng.random() < 0.3 else [])]:
                ends = at + timedelta(seconds=rng.randrange(5, 1800))
                done = status != "active" or step < steps
                session.add(RunVisit(run_id=run.id, step_number=step, started_at=at,
                                     finished_at=ends if done else None))  # fmt: skip
                at = ends
            run.finished_at = at if status != "active" else None
            kind = rng.choice(("lookup", "lookup_miss"))
            session.add(
                Event(workspace_id=workspace_id, at=started - timedelta(seconds=n % 50),
                      kind=kind, user_id=run.user_id,
                      sop_id=sop_id if kind == "lookup" and n % 3 else None,
                      data={"query": rng.choice(QUERIES)})
            )  # fmt: skip
    # A material change mid-way: runs of v1 that end later followed an outdated text.
    refund = directory / "support" / "refund-request.md"
    refund.write_text(refund.read_text().replace("Set the reason code", "Set a reason code"))
    publish(db, directory, datetime(2026, 3, 27, 12, tzinfo=UTC))
    return workspace_id


def berlin(db: Database, now: datetime) -> Runtime:
    return Runtime(settings=Settings(digest_tz="Europe/Berlin"), database=db, clock=lambda: now)


def by_key(rollups):
    """One Counts per (day, SOP), today's parts added as `combine` adds them."""
    parts: dict = {}
    for r in rollups:
        parts.setdefault((r.day, r.sop or ""), []).append(r.counts)
    return {key: merge_counts(found) for key, found in sorted(parts.items())}


def test_rollups_equal_the_raw_records_and_stay_exact_as_open_runs_finish(db, tmp_path):
    workspace_id = make_data(db, tmp_path)
    last = local_day(NOW, BERLIN)
    runtime = Runtime(settings=Settings(digest_tz="Europe/Berlin"), database=db, clock=lambda: NOW)

    def both(now: datetime):
        with db.session() as session:
            raw = kpi_rollups.raw_rollups(session, workspace_id=workspace_id, tz=BERLIN,
                                          first=FIRST, last=last, now=now)  # fmt: skip
            mixed = kpi_rollups.daily(session, workspace_id=workspace_id, tz=BERLIN,
                                      first=FIRST, last=last, now=now)  # fmt: skip
        return by_key(raw), by_key(mixed)

    report = roll_up(runtime)
    assert FIRST in report.built and date(2026, 3, 29) in report.built and report.rows > 0
    assert roll_up(runtime).built == ()  # nothing changed: nothing rebuilt
    raw, mixed = both(NOW)
    assert raw == mixed and len(raw) > 30
    with db.session() as session:
        whole = select(func.count(store.KpiRollup.id)).where(store.KpiRollup.day < last)
        assert session.scalar(whole) == len([day for day, _ in raw if day < last])
        # and today's settled part, which `daily` adds the rest of today to (raw == mixed)
        today = session.get(store.KpiRollupDay, (workspace_id, "Europe/Berlin", last))
        assert today.settled_until == NOW - timedelta(minutes=5)

    # An open run of the 23-hour day finishes: that day's rollups are stale until rebuilt.
    later = NOW + timedelta(hours=2)
    short_day = kpi_rollups.span(date(2026, 3, 29), date(2026, 3, 29), BERLIN)
    assert short_day.duration == timedelta(hours=23)
    finish_open_run(db, short_day, at=later)
    raw_later, mixed_later = both(later)
    assert raw_later == mixed_later and raw_later != raw
    runtime.clock = lambda: later
    assert roll_up(runtime).built == (date(2026, 3, 29),)
    assert both(later)[1] == raw_later

    # A finish committed just after a rollup pass, stamped by a clock read just before it.
    last_pass = later + timedelta(hours=1)
    runtime.clock = lambda: last_pass
    # Its run finished within SETTLE before that build, so it is rebuilt once more, to be safe.
    assert roll_up(runtime).built == (date(2026, 3, 29),)
    assert roll_up(runtime).built == ()
    finish_open_run(db, kpi_rollups.span(FIRST, FIRST, BERLIN), at=last_pass - timedelta(seconds=1))
    raw_last, mixed_last = both(last_pass)
    assert raw_last == mixed_last and raw_last != raw_later
    assert roll_up(runtime).built == (FIRST,)


def finish_open_run(db: Database, window, *, at: datetime) -> None:
    """Complete one run started in `window` that is still open."""
    with db.session() as session:
        run = session.scalars(
            select(Run).where(
                Run.status == "active", Run.started_at >= window.start, Run.started_at < window.end
            )
        ).first()
        assert run is not None
        finish = update(Run).where(Run.id == run.id).values(status="completed", finished_at=at)
        session.execute(finish)


def test_the_digest_from_rollups_is_the_digest_from_raw_records(db, tmp_path):
    workspace_id = make_data(db, tmp_path)
    runtime = Runtime(settings=Settings(digest_tz="Europe/Berlin"), database=db, clock=lambda: NOW)
    roll_up(runtime)
    day = date(2026, 4, 2)
    with db.session() as session:
        result = digests.report(session, workspace_id=workspace_id, day=day, tz=BERLIN, now=NOW)
        window = kpi_rollups.span(day - timedelta(days=13), day, BERLIN)
        expected = digest_from_records(
            day=day, tz=BERLIN, now=NOW,
            sops=kpi_records.sop_infos(session, workspace_id=workspace_id),
            runs=kpi_records.run_records(session, workspace_id=workspace_id, window=window,
                                         now=NOW),
            lookups=kpi_records.lookup_records(session, workspace_id=workspace_id,
                                               window=window),
        )  # fmt: skip
    assert result.digest == expected
    assert digest_text(result.digest) == digest_text(expected)
    assert result.digest.week.total.adherence.outdated > 0
    assert len(result.chart.days) == 14 and sum(result.chart.runs_started) > 0
    assert result.empty is False
    with db.session() as session:
        rows = list(export_rows(session, workspace_id=workspace_id, tz=BERLIN,
                                since=day - timedelta(days=6), until=day, now=NOW))  # fmt: skip
    totals = [r for r in rows if r["sop"] == "*"]
    assert len(totals) == 7
    assert sum(int(r["runs_started"]) for r in totals) == expected.week.total.usage.runs_started


@pytest.mark.parametrize("racers", [1, 4])
def test_a_day_is_claimed_and_queued_once_however_many_schedulers_race(db, tmp_path, racers):
    workspace_id = make_data(db, tmp_path, runs=60)
    settings = Settings(database_url=db.url, manager_channel="C01OPSMGRS",
                        digest_tz="Europe/Berlin")  # fmt: skip
    replicas = [Database(db.url) for _ in range(racers)]
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def race(database: Database) -> None:
        try:
            runtime = Runtime(settings=settings, database=database, clock=lambda: NOW)
            outcomes.append(send_digest(build_job_context(runtime), day=date(2026, 4, 2)))
        except BaseException as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=race, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for replica in replicas:
        replica.dispose()
    assert errors == []
    assert sorted(outcomes) == ["sent"] + ["taken"] * (racers - 1)
    with db.session() as session:
        keys = session.scalars(select(OutboxMessage.key)).all()
        assert keys == [f"digest:{workspace_id}:2026-04-02"]
        row = store.digest_row(session, workspace_id=workspace_id, day=date(2026, 4, 2))
        assert row.status == store.QUEUED and row.channel_id == "C01OPSMGRS"
    runtime = Runtime(settings=settings, database=db, clock=lambda: NOW)
    assert send_digest(build_job_context(runtime), day=date(2026, 4, 2)) == "taken"
    assert send_digest(build_job_context(runtime), day=date(2026, 4, 2), force=True) == "sent"
    with db.session() as session:
        assert len(session.scalars(select(OutboxMessage.key)).all()) == 2


def test_a_quiet_day_is_skipped_only_when_configured(db, tmp_path):
    make_data(db, tmp_path, runs=10)
    settings = Settings(database_url=db.url, manager_channel="C01OPSMGRS")
    runtime = Runtime(settings=settings, database=db, clock=lambda: NOW)
    assert send_digest(build_job_context(runtime), day=date(2025, 1, 1), skip_quiet=True) == "quiet"
    assert (
        send_digest(build_job_context(runtime), day=date(2025, 1, 2)) == "sent"
    )  # not configured: sent


def test_stale_sops_nudge_their_owner_once_per_review_period_until_confirmed(db, tmp_path):
    workspace_id = make_data(db, tmp_path, runs=0)
    render = lambda item: {"text": f"review {item.slug} ({item.period})"}  # noqa: E731
    moments = [datetime(2026, 6, 27, tzinfo=UTC), datetime(2026, 6, 28, tzinfo=UTC),
               datetime(2026, 9, 27, tzinfo=UTC)]  # fmt: skip
    queued = []
    for now in moments:
        with db.session() as session:
            items = sop_review.stale_sops(session, workspace_id=workspace_id, now=now)
            sent = [
                (i.slug, i.period)
                for i in items
                if sop_review.nudge(
                    session,
                    workspace_id=workspace_id,
                    item=i,
                    owner_id="U1",
                    now=now,
                    render=render,
                )  # fmt: skip
            ]
            queued.append(sorted(sent))
    # customer-inquiry (90 days) is stale since 2026-04-01; refund's v2 came on 2026-03-27.
    assert queued[0] == [("customer-inquiry", 1), ("refund-request", 1)]
    assert queued[1] == []
    assert queued[2] == [("customer-inquiry", 2), ("new-hire-onboarding", 1),
                         ("outsourced-work", 1), ("refund-request", 2)]  # fmt: skip
    with db.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == "refund-request")).one()
        sop_review.confirm_review(session, record=record, user_id="U1", now=moments[2])
    with db.session() as session:
        later = moments[2] + timedelta(days=89)
        found = sop_review.stale_sops(session, workspace_id=workspace_id, now=later)
        slugs = [i.slug for i in found]
        assert "refund-request" not in slugs and "customer-inquiry" in slugs
        again = sop_review.stale_sops(session, workspace_id=workspace_id,
                                      now=moments[2] + timedelta(days=91))  # fmt: skip
        refund = next(i for i in again if i.slug == "refund-request")
        assert (refund.reviewed, refund.period) == (True, 1)


TIMED_SOP = """---
id: till-close
owner: U0OWNER
review_every: 90d
---
# Close the till

## Steps
### Count the cash
Time: 2m
Count it.
### Fill in the sheet
Time: {expected}
Write the totals down.
"""


def test_a_step_well_over_its_expected_time_makes_the_digest_ask_for_attention(db, tmp_path):
    directory = tmp_path / "timed"
    directory.mkdir()
    path = directory / "till-close.md"
    path.write_text(TIMED_SOP.format(expected="1m"))
    publish(db, directory, datetime(2026, 3, 1, tzinfo=UTC))
    with db.session() as session:
        workspace_id = default_workspace(session).id
        sop = session.scalars(select(SopRecord).where(SopRecord.slug == "till-close")).one()
        sop_id, revision_id = sop.id, sop.current_revision_id
        # Six runs on 2 April (Berlin) on v1, which expects the sheet to take 1 minute
        for n, sheet in enumerate((145, 155, 155, 165, 175, 35)):  # bucket middles: exact
            started = datetime(2026, 4, 2, 7, 10 * n, tzinfo=UTC)
            run = Run(workspace_id=workspace_id, sop_id=sop_id, revision_id=revision_id,
                      user_id=f"U{n:03d}", channel_id="C1", status="completed", current_step=2,
                      started_at=started)  # fmt: skip
            session.add(run)
            session.flush()
            counted = started + timedelta(seconds=95)
            run.finished_at = counted + timedelta(seconds=sheet)
            session.add_all([
                RunVisit(run_id=run.id, step_number=1, started_at=started, finished_at=counted),
                RunVisit(run_id=run.id, step_number=2, started_at=counted,
                         finished_at=run.finished_at),
            ])  # fmt: skip
    # v2 expects 10 minutes; the runs followed v1, so v1's minute is what they are held to.
    path.write_text(TIMED_SOP.format(expected="10m"))
    publish(db, directory, datetime(2026, 4, 2, 20, tzinfo=UTC))
    settings = Settings(database_url=db.url, manager_channel="C01OPSMGRS",
                        digest_tz="Europe/Berlin")  # fmt: skip
    runtime = Runtime(settings=settings, database=db, clock=lambda: NOW)
    assert roll_up(runtime).built  # the digest reads the day from its rollups
    assert send_digest(build_job_context(runtime), day=date(2026, 4, 2)) == "sent"
    with db.session() as session:
        message = session.scalars(select(OutboxMessage)).one()
        result = digests.report(session, workspace_id=workspace_id, day=date(2026, 4, 2),
                                tz=BERLIN, now=NOW)  # fmt: skip
    # the sheet's median is 155 s: 2.6x the expected minute
    shown = "step 2 takes 2.6× its expected 1 min"
    assert f"*Close the till* — {shown} · health" in str(message.blocks)
    (reason,) = result.digest.attention
    assert (reason.kind, reason.text) == ("expected", shown)
    (row,) = result.digest.rows
    assert [(p.step, round(p.times, 2), p.expected_seconds, p.runs) for p in row.paces] == [
        (1, 0.79, 120, 6),  # 95 s of 2 minutes
        (2, 2.58, 60, 6),
    ]
    assert shown in digest_text(result.digest)


def test_todays_settled_part_plus_the_raw_rest_is_today_from_raw_records(db, tmp_path):
    workspace_id = make_data(db, tmp_path, runs=300, seed=11)
    today = local_day(NOW, BERLIN)
    with db.session() as session:
        sop_id, revision_id = session.execute(
            select(SopRecord.id, SopRecord.current_revision_id)
        ).first()

    def add_run(started: datetime, finished: datetime | None) -> None:
        with db.session() as session:
            status = "completed" if finished else "active"
            run = Run(workspace_id=workspace_id, sop_id=sop_id, revision_id=revision_id,
                      user_id="U900", channel_id="C1", current_step=1, started_at=started,
                      status=status, finished_at=finished)  # fmt: skip
            session.add(run)
            session.flush()
            session.add(RunVisit(run_id=run.id, step_number=1, started_at=started,
                                 finished_at=finished))  # fmt: skip
            session.add(Event(workspace_id=workspace_id, at=started, kind="lookup_miss",
                              user_id="U901", data={"query": "till"}))  # fmt: skip

    built = NOW - timedelta(hours=3)
    add_run(built - timedelta(hours=2), built - timedelta(hours=1))  # settled
    add_run(built - timedelta(hours=1), None)  # open when the part is built...
    add_run(built - timedelta(minutes=30), None)  # ...and this one open still when read
    with db.session() as session:
        assert kpi_rollups.roll_up_today(session, workspace_id=workspace_id, tz=BERLIN, now=built)
    with db.session() as session:  # ...and again within REBUILD_TODAY: not rebuilt
        later = built + timedelta(minutes=10)
        assert (
            kpi_rollups.roll_up_today(session, workspace_id=workspace_id, tz=BERLIN, now=later)
            is None
        )
        open_run = session.scalars(
            select(Run).where(Run.user_id == "U900", Run.started_at == built - timedelta(hours=1))
        ).one()
        open_run.status, open_run.finished_at = (
            "completed",
            built + timedelta(minutes=1),
        )  # finishes
    add_run(built - timedelta(minutes=3), built + timedelta(minutes=2))  # within SETTLE
    add_run(built + timedelta(minutes=30), built + timedelta(minutes=40))  # after it

    def both():
        with db.session() as session:
            raw = kpi_rollups.raw_rollups(session, workspace_id=workspace_id, tz=BERLIN,
                                          first=today, last=today, now=NOW)  # fmt: skip
            mixed = kpi_rollups.daily(session, workspace_id=workspace_id, tz=BERLIN,
                                      first=today, last=today, now=NOW)  # fmt: skip
        parts.append({r.part for r in mixed})
        return by_key(raw), by_key(mixed)

    parts: list[set[int]] = []

    with db.session() as session:
        marker = session.get(store.KpiRollupDay, (workspace_id, "Europe/Berlin", today))
        assert marker.settled_until == built - timedelta(minutes=5)
        kept = {run_id for run_id, *_ in marker.settled_open}  # the runs open then
        until = built - timedelta(minutes=5)
        at_build = select(Run.id).where(Run.user_id == "U900", Run.started_at < until)
        assert len(set(session.scalars(at_build))) == 3
        assert len(set(session.scalars(at_build)) & kept) == 2  # the settled one is not kept
    raw, mixed = both()
    assert mixed == raw
    assert parts[-1] == {0, 1, 2}  # the settled part, the rest read raw, the runs kept open
    assert sum(c.runs_completed for c in raw.values()) >= 4
    assert sum(len(c.open_started_at) for c in raw.values()) == 1  # kept, and open still
    with db.session() as session:  # kept before their people's numbers were (six fields)
        marker = session.get(store.KpiRollupDay, (workspace_id, "Europe/Berlin", today))
        assert all(len(run) == 7 for run in marker.settled_open)
        marker.settled_open = [run[:6] for run in marker.settled_open]
    assert both() == (raw, raw)
    with db.session() as session:  # a part built before 0016 kept no open runs: read raw
        session.get(store.KpiRollupDay, (workspace_id, "Europe/Berlin", today)).settled_open = None
    assert both() == (raw, raw) and parts[-1] == {0, 1}
    # tomorrow the whole day is rolled up afresh, not taken from its settled part
    tomorrow = Runtime(settings=Settings(digest_tz="Europe/Berlin"), database=db,
                       clock=lambda: NOW + timedelta(days=1))  # fmt: skip
    assert today in roll_up(tomorrow).built
