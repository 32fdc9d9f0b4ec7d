"""KPI spans on each database: /sop kpis from spans equals it read day by day, at every stage."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select, update

from bot.core.kpis import Counts, DailyRollup, local_day
from bot.db import rollups
from bot.db import spans as span_store
from bot.db.digest import KpiPerson, KpiRollup, KpiRollupDay, KpiSpan, KpiSpanRollup
from bot.db.retention import anonymise_rollups
from bot.jobs.digest import roll_up
from bot.services import digest as digests
from bot.services import kpi_rollups, kpi_spans
from tests.db.test_digest import BERLIN, NOW, berlin, finish_open_run, make_data

TODAY = local_day(NOW, BERLIN)


def kpis_both_ways(db, monkeypatch, workspace_id, *, now, days):
    """(KPIs as /sop kpis reads them, the same read day by day, days read from day rows)."""
    read: list[date] = []
    real = rollups.read_rollups

    def spy(session, **kwargs):
        read.extend(kwargs["days"])
        return real(session, **kwargs)

    monkeypatch.setattr(rollups, "read_rollups", spy)
    with db.session() as session:
        found = digests.kpis(session, workspace_id=workspace_id, tz=BERLIN, days=days, now=now)
    from_days = read.copy()
    with monkeypatch.context() as m:
        m.setattr(digests, "span_ranges", lambda today, days: [])
        with db.session() as session:
            by_day = digests.kpis(session, workspace_id=workspace_id, tz=BERLIN, days=days, now=now)
    monkeypatch.setattr(rollups, "read_rollups", real)
    return found, by_day, from_days


def whole_days_read(read: list[date], today: date) -> list[date]:
    return sorted(d for d in read if d < today)


def test_kpis_from_spans_equal_kpis_read_day_by_day(db, tmp_path, monkeypatch):
    workspace_id = make_data(db, tmp_path)
    report = roll_up(berlin(db, NOW))
    # 30d's windows reach before the data began: those days are summed as empty.
    assert sorted(report.spans) == kpi_spans.wanted(NOW, BERLIN)
    assert len(report.spans) == 4
    assert roll_up(berlin(db, NOW)).spans == ()  # still exact: not summed again
    for days in (7, 30):
        found, by_day, read = kpis_both_ways(db, monkeypatch, workspace_id, now=NOW, days=days)
        assert found == by_day
        assert sum(s.usage.runs_started for s in found.sops.values()) > 50
        assert whole_days_read(read, TODAY) == []  # every whole day came from a span


def test_a_span_is_read_only_while_its_days_are_what_it_summed(db, tmp_path, monkeypatch):
    workspace_id = make_data(db, tmp_path)
    roll_up(berlin(db, NOW))
    before, _, _ = kpis_both_ways(db, monkeypatch, workspace_id, now=NOW, days=7)

    # An open run of a day in the span finishes: the day is stale, so the span is not read.
    later = NOW + timedelta(hours=2)
    day = TODAY - timedelta(days=3)
    finish_open_run(db, kpi_rollups.span(day, day, BERLIN), at=later)
    found, by_day, read = kpis_both_ways(db, monkeypatch, workspace_id, now=later, days=7)
    assert found == by_day and found != before
    assert day - timedelta(days=1) in read  # the span's other days, from their rollups

    # The job rebuilds the day (a new revision); the run finished within SETTLE of that build,
    # so the day counts as stale until the next pass, which builds it again and sums the span.
    week = (TODAY - timedelta(days=6), TODAY - timedelta(days=1))
    report = roll_up(berlin(db, later))
    assert report.built == (day,) and week not in report.spans
    _, _, read = kpis_both_ways(db, monkeypatch, workspace_id, now=later, days=7)
    assert day - timedelta(days=1) in read
    report = roll_up(berlin(db, later + timedelta(hours=1)))
    assert report.built == (day,) and week in report.spans
    again, by_day, read = kpis_both_ways(db, monkeypatch, workspace_id, now=later, days=7)
    assert again == by_day == found and whole_days_read(read, TODAY) == []

    # A day's rows rewritten by anyone (its revision moves on): the span is not read.
    with db.session() as session:
        session.execute(
            update(KpiRollupDay)
            .where(KpiRollupDay.day == day)
            .values(revision=KpiRollupDay.revision + 1)
        )
    _, _, read = kpis_both_ways(db, monkeypatch, workspace_id, now=later, days=7)
    assert day in read


def test_a_new_day_drops_the_spans_no_window_reads(db, tmp_path):
    make_data(db, tmp_path)
    roll_up(berlin(db, NOW))
    tomorrow = NOW + timedelta(days=1)
    report = roll_up(berlin(db, tomorrow))
    assert sorted(report.spans) == kpi_spans.wanted(tomorrow, BERLIN)
    with db.session() as session:
        kept = session.execute(select(KpiSpan.first, KpiSpan.last)).all()
        rows = session.execute(select(KpiSpanRollup.first, KpiSpanRollup.last).distinct()).all()
    assert sorted(kept) == kpi_spans.wanted(tomorrow, BERLIN)
    assert set(rows) <= set(kept) and len(rows) == 3  # 30d's window before: no activity, no rows


def test_forgetting_a_day_drops_the_spans_that_summed_it(db, tmp_path):
    workspace_id = make_data(db, tmp_path)
    roll_up(berlin(db, NOW))
    day = TODAY - timedelta(days=2)
    with db.session() as session:
        revision = session.get(KpiRollupDay, (workspace_id, "Europe/Berlin", day)).revision
        assert anonymise_rollups(session, workspace_id=workspace_id, day=day) > 0
    with db.session() as session:
        spans = session.execute(select(KpiSpan.first, KpiSpan.last)).all()
        assert spans and all(not first <= day <= last for first, last in spans)
        assert session.scalar(
            select(func.count()).select_from(KpiSpanRollup).where(KpiSpanRollup.first <= day,
                                                                   KpiSpanRollup.last >= day)
        ) == 0  # fmt: skip
        assert session.get(KpiRollupDay, (workspace_id, "Europe/Berlin", day)).revision > revision


def test_person_numbers_a_span_holds_are_kept(db, tmp_path):
    workspace_id = make_data(db, tmp_path)
    roll_up(berlin(db, NOW))
    with db.session() as session:
        held = set()
        for (counts,) in session.execute(select(KpiSpanRollup.counts)):
            held |= set(rollups.counts_from_json(counts).people.numbers())
        assert held
        session.execute(delete(KpiRollup))  # only the spans hold numbers now
        session.execute(update(KpiPerson).values(last_day=date(2000, 1, 1)))
    with db.session() as session:
        rollups.prune_people(session, workspace_id=workspace_id, before=date(2100, 1, 1))
    with db.session() as session:
        assert held <= set(session.scalars(select(KpiPerson.id)))
        session.execute(delete(KpiSpanRollup))
    with db.session() as session:
        assert rollups.prune_people(session, workspace_id=workspace_id, before=date(2100, 1, 1))
        assert session.scalar(select(func.count()).select_from(KpiPerson)) == 0


def test_a_span_is_not_summed_while_a_day_is_missing_or_stale(db, tmp_path):
    workspace_id = make_data(db, tmp_path)
    first, last = TODAY - timedelta(days=6), TODAY - timedelta(days=1)
    with db.session() as session:  # nothing rolled up yet
        assert kpi_spans.roll_up_span(session, workspace_id=workspace_id, tz=BERLIN,
                                      first=first, last=last, now=NOW) is None  # fmt: skip
    roll_up(berlin(db, NOW))
    later = NOW + timedelta(hours=1)
    finish_open_run(db, kpi_rollups.span(last, last, BERLIN), at=later)
    with db.session() as session:
        session.execute(update(KpiSpan).values(revisions=[]))  # as if never summed
    with db.session() as session:
        assert kpi_spans.roll_up_span(session, workspace_id=workspace_id, tz=BERLIN,
                                      first=first, last=last, now=later) is None  # fmt: skip


def test_a_window_cannot_split_a_span():
    span = DailyRollup(date(2026, 4, 2), "refund", Counts(runs_started=3), first=date(2026, 3, 27))
    day = DailyRollup(date(2026, 3, 26), "refund", Counts(runs_started=1))
    whole = kpi_rollups.tally_between([span, day], date(2026, 3, 26), date(2026, 4, 2))
    assert whole.of("refund").runs_started == 4
    with pytest.raises(ValueError, match="crosses"):
        kpi_rollups.tally_between([span], date(2026, 3, 28), date(2026, 4, 2))
    with pytest.raises(ValueError, match="crosses"):
        kpi_rollups.tally_between([span], date(2026, 3, 20), date(2026, 3, 30))
    assert kpi_rollups.tally_between([span], date(2026, 4, 3), date(2026, 4, 9)).by_sop == {}


def test_span_usable_ignores_a_span_of_another_length(db):
    # revisions that do not match the days (a span written by other code): not read
    with db.session() as session:
        workspace_id = session.scalar(select(func.min(KpiRollupDay.workspace_id))) or 1
        marker = span_store.lock(session, workspace_id=workspace_id, tz="Europe/Berlin",
                                 first=date(2026, 3, 1), last=date(2026, 3, 3))  # fmt: skip
        marker.revisions = [span_store.BEFORE]
    with db.session() as session:
        found, covered = span_store.usable(
            session, workspace_id=workspace_id, tz="Europe/Berlin",
            ranges=[(date(2026, 3, 1), date(2026, 3, 3))], days={}, exact=set(),
            light_before=date.min,
        )  # fmt: skip
    assert (found, covered) == ([], set())
