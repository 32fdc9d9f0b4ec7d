"""A step's median time against the `Time:` its revision expected: the KPI, health, attention."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.kpis import RunRecord, SopInfo, attention, build_digest, digest_text, tally
from bot.core.kpis.health import HealthInputs, score_health
from bot.core.kpis.histogram import histogram
from bot.core.kpis.steps import StepPace, step_paces
from bot.core.kpis.tally import Counts
from bot.core.kpis.windows import day_window, trailing_windows
from bot.slack.kpis.blocks import pace_line, sop_kpis_message

DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 11, 8, tzinfo=UTC)
INFO = SopInfo(slug="till", title="Close the till", tags=(), review_every_days=None,
               last_revision_at=datetime(2026, 1, 1, tzinfo=UTC), last_reviewed_at=None,
               audience_size=0, step_titles=("Count", "Sheet", "Lock"), current_revision=2,
               expected_seconds=(120, 600, None))  # fmt: skip


def runs(sheet_seconds: list[float], *, expected: dict[int, int], revision: int = 1) -> list:
    """Completed runs of the till SOP on DAY: 95 s counting, then the sheet."""
    found = []
    for n, sheet in enumerate(sheet_seconds):
        start = datetime(2026, 3, 10, 9, tzinfo=UTC) + timedelta(minutes=n)
        found.append(RunRecord(n, "till", revision, f"U{n}", start,
                               start + timedelta(seconds=95 + sheet), "completed", 3,
                               {1: 95.0, 2: sheet}, None, True, expected))  # fmt: skip
    return found


def digest_of(records: list) -> object:
    week, previous = trailing_windows(DAY, UTC)
    day = day_window(DAY, UTC)
    tallies = [tally(runs=records, lookups=[], window=w) for w in (day, week, previous)]
    return build_digest(day=DAY, tz=UTC, now=NOW, sops=[INFO], day_tally=tallies[0],
                        week_tally=tallies[1], previous_week_tally=tallies[2])  # fmt: skip


def test_a_step_at_2_6_times_its_expected_minute_needs_attention():
    d = digest_of(runs([145, 155, 155, 165, 175, 35], expected={1: 120, 2: 60}))
    (row,) = d.rows
    assert row.over_expected == StepPace(2, pytest.approx(155 / 60), 60, 6)
    assert row.over_expected.text == "step 2 takes 2.6× its expected 1 min"
    (reason,) = d.attention
    assert (reason.kind, reason.text) == ("expected", "step 2 takes 2.6× its expected 1 min")
    # 5 × (2.58 − 1) = 7.9 points off, the weakest step's only factor
    assert (row.health.score, row.health.weakest_step, row.health.why) == (
        92, 2, "step 2 takes 2.6× its expected 1 min")  # fmt: skip
    assert "step 2 takes 2.6× its expected 1 min" in digest_text(d)


def test_the_expected_time_is_the_one_of_the_revision_each_run_followed():
    # v1 said 1 minute, the current v2 says 10: the runs are held to v1's minute
    d = digest_of(runs([155] * 5, expected={2: 60}, revision=1))
    assert d.rows[0].over_expected.expected_seconds == 60 and INFO.expected_seconds[1] == 600
    # runs on a revision with no Time: on the step are not compared at all
    assert digest_of(runs([155] * 5, expected={})).rows[0].paces == ()


@pytest.mark.parametrize(
    ("sheet", "count", "over"),
    [
        ([155] * 5, 5, True),  # 2.6x over 5 runs
        ([155] * 4, 4, False),  # too few runs to say
        ([85] * 9, 9, False),  # 1.4x: slower than written, not alarming
        ([95] * 9, 9, True),  # 1.58x: from 1.5x on
    ],
)
def test_over_expected_needs_five_runs_and_one_and_a_half_times(sheet, count, over):
    (row,) = digest_of(runs(sheet, expected={2: 60})).rows
    (pace,) = [p for p in row.paces if p.step == 2]
    assert (pace.runs, pace.over) == (count, over)
    assert (row.over_expected is not None) == over
    assert [r.kind for r in attention(d for d in [row])] == (["expected"] if over else [])


def test_runs_with_different_expected_times_give_the_median_of_their_ratios():
    counts = Counts(step_seconds=((2, 60, histogram([155, 155, 155])), (2, 300, histogram([305]))))
    pace = step_paces(counts)[2]
    # ratios 2.58, 2.58, 2.58, 1.02: median 2.58; shown against the minute most runs had
    assert (round(pace.times, 2), pace.expected_seconds, pace.runs) == (2.58, 60, 4)


def test_the_expected_penalty_grows_from_one_times_and_is_capped():
    def points(times: float) -> float:
        h = score_health(HealthInputs(step_paces={1: StepPace(1, times, 300, 9)}))
        return 100 - h.score

    # 1.5x: 2.5 points (97.5 rounds up to 98); 2.4x: 7; 3x and more: the cap of 10
    assert (points(1.4), points(1.5), points(2.4), points(3), points(9)) == (0, 2, 7, 10, 10)


def test_a_row_lists_each_timed_step_in_the_kpis():
    d = digest_of(runs([155] * 6, expected={1: 120, 2: 60}))
    row = d.rows[0]
    assert [(p.step, p.over) for p in row.paces] == [(1, False), (2, True)]
    runs_line = digest_text(d).split("\n")[-2]
    assert runs_line.startswith("  6 runs, 100% completed")
    assert runs_line.endswith(", slowest step 2, step 2 takes 2.6× its expected 1 min")
    assert pace_line(row) == "step 1 0.8× its 2 min; step 2 2.6× its 1 min (over)"
    fields = sop_kpis_message(row, days=7)["blocks"][2]["text"]["text"]
    assert "*Against expected times* step 1 0.8× its 2 min; step 2 2.6× its 1 min (over)" in fields
