"""Hand-off KPIs: median wait per role, the slowest hand-off, and SOPs whose waits grew."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.core.kpis.handoffs import HandoffRecord, handoff_kpis, slower_handoffs
from bot.core.kpis.windows import trailing_windows

TZ = ZoneInfo("Europe/Berlin")
WEEK, BEFORE = trailing_windows(date(2026, 12, 6), TZ, 7)


def rec(slug: str, minutes: float, *, days_ago: int = 1, step: int = 4, role: str = "Team lead"):
    at = WEEK.end - timedelta(days=days_ago)
    return HandoffRecord(slug, slug.title(), step, role, at, minutes * 60)


def test_median_per_role_and_the_slowest_hand_off_with_ties_to_the_lower_step():
    records = [
        rec("refund", 4),
        rec("refund", 10),
        rec("refund", 30, step=6, role="Agent"),
        rec("refund", 30, step=5, role="Agent"),
        rec("refund", 99, days_ago=9),  # the week before: not in this window
    ]
    found = handoff_kpis(records, WEEK)["refund"]
    assert [(r.role, r.count, r.median_seconds) for r in found.roles] == [
        ("Agent", 2, 1800.0),
        ("Team lead", 2, 420.0),
    ]
    assert (found.slowest.step, found.slowest.role, found.slowest.seconds) == (5, "Agent", 1800)
    assert found.lines() == [
        "Hand-off wait: Agent 30 min median (2), Team lead 7.0 min median (2)",
        "Slowest hand-off: step 5 (Agent), 30 min",
    ]


def test_an_sop_is_named_when_its_median_wait_grew_by_half_and_five_minutes():
    before = [rec("refund", m, days_ago=10) for m in (4, 6, 8)]
    slower = [rec("refund", m) for m in (12, 14, 16)]
    found = slower_handoffs(before + slower, WEEK, BEFORE)
    assert [(s.slug, s.median_seconds, s.previous_median_seconds) for s in found] == [
        ("refund", 840.0, 360.0)
    ]
    assert found[0].text == "Refund: hand-offs got slower, median wait 14 min (was 6.0 min)"


def test_too_few_hand_offs_or_a_small_change_names_nobody():
    few = [rec("refund", 5, days_ago=10), rec("refund", 50)]
    assert slower_handoffs(few, WEEK, BEFORE) == ()
    small = [rec("a", m, days_ago=10) for m in (4, 4, 4)] + [rec("a", m) for m in (8, 8, 8)]
    assert slower_handoffs(small, WEEK, BEFORE) == ()  # doubled, but only 4 minutes more
