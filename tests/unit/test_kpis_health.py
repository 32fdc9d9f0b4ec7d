"""SOP health, who needs attention, and the digest as a value and as text."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from bot.core.kpis import (
    HealthInputs,
    Staleness,
    attention,
    digest_from_records,
    digest_text,
    headline,
    score_health,
    tally,
    trailing_windows,
)
from tests.unit.test_kpis import (
    assignment,
    at,
    attempt,
    info,
    kpis,
    lookup,
    note,
    run,
)

STEPS = ("Greet", "Verify the order", "Refund", "Close the ticket")


def health(**inputs):  # type: ignore[no-untyped-def]
    return score_health(HealthInputs(step_titles=STEPS, **inputs))


# the formula


def test_no_penalties_is_100_and_no_weakest_step():
    h = health(completion=1.0, previous_completion=1.0, eligible_runs=50, coverage=1.0)
    assert (h.score, h.why, h.weakest_step, h.penalties) == (100, "no issues found", None, ())


def test_completion_costs_60_points_per_whole_capped_at_30():
    h = health(completion=0.54, previous_completion=0.81, eligible_runs=20)
    assert h.penalties[0].points == pytest.approx(27.6)
    assert (h.score, h.why) == (72, "completion 54% (was 81%)")
    assert health(completion=0.2, eligible_runs=20).score == 70  # capped at 30
    assert health(completion=0.2, eligible_runs=20).why == "completion 20%"


def test_completion_and_drop_off_need_five_eligible_runs_to_count():
    assert health(completion=0.0, eligible_runs=4).score == 100
    assert health(completion=0.0, eligible_runs=5).score == 70
    assert health(stops_by_step={1: 4}, eligible_runs=4).score == 100  # drop-off too
    assert health(stops_by_step={1: 1}, eligible_runs=5).score == 90  # 20% of runs: 10 points


def test_coverage_costs_50_points_per_whole_capped_at_25():
    assert (health(coverage=0.62).score, health(coverage=0.62).why) == (81, "coverage 62%")
    assert health(coverage=0.0).score == 75


@pytest.mark.parametrize(
    ("days", "score"), [(91, 90), (95, 90), (105, 89), (140, 85), (400, 85)]
)  # 10 points once stale, plus 1 per 10 days past due, capped at 15 (rounded half up)
def test_staleness_points(days, score):
    h = health(stale=Staleness(days, 90, reviewed=True))
    assert h.score == score
    assert h.why == f"stale: last reviewed {days} days ago"


def test_search_misses_near_the_tags_cost_2_each_capped_at_10():
    h = health(misses_near=3, top_miss="gift card refund")
    assert (h.score, h.why) == (94, '3 searches near its tags found nothing ("gift card refund")')
    assert health(misses_near=9).score == 90


def test_open_problems_on_a_step_make_it_the_weakest():
    h = health(problems_by_step={4: 3, 2: 1})
    assert (h.score, h.why) == (85, "3 open problems on step 4")
    assert (h.weakest_step, h.weakest_step_title) == (4, "Close the ticket")


def test_only_the_weakest_steps_combined_penalty_counts():
    h = health(
        eligible_runs=20,
        completion=1.0,
        quiz_by_step={2: (1, 4)},  # 75% wrong: 11.25
        stops_by_step={2: 3},  # 3 of 20 runs: 7.5
        problems_by_step={4: 2},  # 10
    )
    assert h.weakest_step == 2
    assert h.score == 81  # 100 - 18.75, rounded half up
    assert h.why == "quiz: 75% wrong on step 2"
    assert [p.factor for p in h.penalties] == ["quiz", "drop_off"]


def test_a_step_penalty_is_capped_at_40():
    h = health(
        eligible_runs=10,
        quiz_by_step={1: (0, 5)},
        problems_by_step={1: 9},
        stops_by_step={1: 9},
    )
    assert h.score == 60


def test_quiz_needs_three_answers_and_scores_round_half_up():
    assert health(quiz_by_step={1: (0, 2)}).score == 100
    assert health(quiz_by_step={1: (2, 4)}).score == 93  # 92.5, not banker's 92


def test_a_step_much_slower_than_the_typical_step():
    h = health(step_medians={1: (60, 3), 2: (60, 3), 3: (300, 3), 4: (9999, 1)})
    # medians 60, 60, 300 (step 4 has too few runs); typical 60; step 3 is 5x: 17.5, capped at 10
    assert (h.score, h.weakest_step, h.why) == (90, 3, "step 3 takes 5.0× the median step")
    mild = health(step_medians={1: (100, 3), 2: (100, 3), 3: (200, 3)})
    assert mild.score == 98  # 2x: 2.5 points, 97.5 rounded half up
    assert health(step_medians={1: (60, 3)}).score == 100  # one step has nothing to compare


def test_the_score_never_goes_below_zero():
    h = health(
        completion=0.0,
        eligible_runs=10,
        coverage=0.0,
        stale=Staleness(999, 30, reviewed=False),
        misses_near=10,
        problems_by_step={1: 5},
        quiz_by_step={1: (0, 5)},
        stops_by_step={1: 10},
    )
    assert h.score == 0
    assert h.why == "completion 0%"  # 30 points: the biggest; ties go to completion


# attention


def _week(runs=(), **records):  # type: ignore[no-untyped-def]
    day = date(2026, 3, 10)
    week, previous = trailing_windows(day, UTC)
    before = tally(runs=runs, lookups=[], window=previous)
    return kpis(runs, window=week, previous=before, now=at(11, 9), **records)


def _completion_runs(sop: str, now_done: int, before_done: int):  # type: ignore[no-untyped-def]
    runs = []
    for i in range(10):
        runs.append(
            run(start=at(6, i), sop=sop, status="completed" if i < now_done else "abandoned")
        )
        runs.append(
            run(start=at(1, i), sop=sop, status="completed" if i < before_done else "abandoned")
        )
    return runs


def test_attention_ranks_sops_by_health_with_one_reason_each():
    runs = _completion_runs("falling", 5, 9) + _completion_runs("steady", 9, 9)
    sops = [
        info("falling", audience=0),
        info("steady", audience=0),
        info("untrained", audience=10),
        info("troubled", audience=0),
        info("old", audience=0, review_every=30, revised=at(1, month=1)),
    ]
    passes = [assignment(f"U{i}", "current", sop="untrained") for i in range(7)]
    problems = [note(i, "problem", "open", at(5), step=2, sop="troubled") for i in range(2)]
    k = _week(runs, sops=sops, assignments=passes, feedback=problems)
    reasons = attention(k.sops.values())
    assert [(r.slug, r.kind, r.text, r.health) for r in reasons] == [
        ("falling", "completion", "completion 50% (was 90%)", 55),  # 30 + drop-off at step 1: 15
        ("untrained", "coverage", "coverage 70%", 85),
        ("old", "stale", "stale: last revised 69 days ago", 86),  # 10 + 39 days past due / 10
        ("troubled", "problems", "2 open problems", 90),
    ]
    assert reasons[0].value == 0.5
    assert "steady" not in {r.slug for r in reasons}


def test_attention_picks_the_reason_that_costs_most():
    sops = [info("both", audience=10, review_every=30, revised=at(1, month=1))]
    passes = [assignment(f"U{i}", "current", sop="both") for i in range(7)]
    [reason] = attention(_week(sops=sops, assignments=passes).sops.values())
    # coverage 70% costs 15 points, stale (69 days, 39 past due) 13.9
    assert (reason.kind, reason.value) == ("coverage", 0.7)


def _rate_runs(sop: str, done_now: int, done_before: int, n: int = 20):  # type: ignore[no-untyped-def]
    return [
        run(start=at(day, 0, i), sop=sop, status="completed" if i < done else "abandoned")
        for day, done in ((6, done_now), (1, done_before))
        for i in range(n)
    ]


def test_attention_needs_a_10_point_fall_on_5_eligible_runs():
    sops = [info(s, audience=0) for s in ("slight", "exact", "few")]
    runs = _rate_runs("slight", 17, 18)  # 85% against 90%
    runs += _rate_runs("exact", 8, 9, n=10)  # 80% against 90%: exactly 10 points
    runs += _rate_runs("few", 0, 4, n=4)  # 0% against 100%, but only 4 runs
    assert [r.slug for r in attention(_week(runs, sops=sops).sops.values())] == ["exact"]


# the digest


def _digest_records():  # type: ignore[no-untyped-def]
    day = date(2026, 3, 10)
    runs = [
        run(i, start=at(10, 8, i), user=f"U{i % 4}", minutes=10 + i, steps={1: 60, 2: 120 + i})
        for i in range(10)
    ]
    runs += [run(20 + i, start=at(10, 9, i), status="abandoned", stopped=2) for i in range(2)]
    runs += [run(30 + i, start=at(5, 9, i)) for i in range(4)]  # earlier in the week
    runs += [run(40 + i, start=at(1, 9, i)) for i in range(3)]  # the week before
    lookups = [lookup(at(9, 10), "gift card"), lookup(at(9, 11), "Gift  Card")]
    lookups.append(lookup(at(10, 9), sop="refund"))
    sops = [info(audience=11), info("onboarding", title="Onboard a new hire", audience=0)]
    passes = [assignment(f"U{i}", "current") for i in range(10)]
    passes.append(assignment("U50", "overdue", name="Zoe"))
    attempts = [attempt("U1", 1, [(1, 2, True)], passed=True)]
    feedback = [note(1, "problem", "open", at(9), step=2)]
    return dict(
        day=day,
        tz=UTC,
        now=at(11, 9),
        sops=sops,
        runs=runs,
        lookups=lookups,
        assignments=passes,
        attempts=attempts,
        feedback=feedback,
    )


def test_digest_headline_and_trend():
    d = digest_from_records(**_digest_records())
    assert headline(d) == "12 runs, 83% completed, training coverage 91%"
    assert (d.runs, d.coverage) == (12, 10 / 11)
    assert (d.week_runs.current, d.week_runs.previous, d.week_runs.change) == (16, 3, 13)
    assert d.week_completion.change == pytest.approx(14 / 16 - 1)
    assert [k.slug for k in d.rows] == ["refund", "onboarding"]  # least healthy first
    assert d.rows[0].health.weakest_step == 2


def test_headline_of_an_empty_day():
    d = digest_from_records(day=date(2026, 3, 10), tz=UTC, now=at(11), sops=[], runs=[], lookups=[])
    assert headline(d) == "0 runs, — completed, training coverage —"
    assert digest_text(d) == (
        "sopbot digest for Tue 10 Mar 2026 (UTC)\n"
        "0 runs, — completed, training coverage —\n"
        "\n"
        "Last 7 days: 0 runs (+0 on the 7 days before), — completed (was —), 0 people, 0 lookups\n"
        "Run time: median —, p90 —\n"
        "\n"
        "SOPs, least healthy first\n"
        "- no SOPs are published yet\n"
    )


def test_headline_says_one_run():
    records = _digest_records()
    records["runs"] = [run(start=at(10, 8))]
    assert headline(digest_from_records(**records)).startswith("1 run, 100% completed")


def test_digest_text_reads_top_to_bottom():
    text = digest_text(digest_from_records(**_digest_records()))
    lines = text.splitlines()
    assert lines[:4] == [
        "sopbot digest for Tue 10 Mar 2026 (UTC)",
        "12 runs, 83% completed, training coverage 91%",
        "",
        "Last 7 days: 16 runs (+13 on the 7 days before), 88% completed (was 100%),"
        " 4 people, 3 lookups",
    ]
    refund = lines.index(
        '- Handle a refund request [refund]: health 77, weakest step 2 "Verify the order":'
        " completion 88% (was 100%)"
    )  # 100 - 7.5 completion - 4.5 coverage - step 2: 6.25 drop-off + 5 open problem
    assert lines[refund + 1 : refund + 7] == [
        "  16 runs, 88% completed (was 100%), median 13 min, p90 18 min, slowest step 2,"
        " most stopped at step 2 (2×)",
        "  coverage 91% (10/11)",
        "  overdue: Zoe",
        "  quiz: 100% passed first time",
        "  feedback: 1 new, 1 open, 0 resolved",
        "- Onboard a new hire [onboarding]: health 100: no issues found",
    ]
    assert lines[-3:] == ["", "Searches that found nothing (last 7 days)", '- "gift card" ×2']
    assert lines[4:8] == [
        "Run time: median 13 min, p90 18 min",  # 14 runs: (12 + 13) / 2; 13th of 14
        "",
        "Needs attention",
        "- Handle a refund request: completion 88% (was 100%) (health 77)",
    ]


def test_digest_text_lists_sops_due_for_review():
    records = _digest_records()
    records["sops"] = [info(audience=0, review_every=30, revised=at(1, month=1))]
    lines = digest_text(digest_from_records(**records)).splitlines()
    assert lines[-2:] == [
        "Due for review",
        "- Handle a refund request: stale: last revised 69 days ago",
    ]


def test_the_worked_example_in_docs_kpis_md():
    h = health(
        completion=0.54,
        previous_completion=0.81,
        eligible_runs=20,
        coverage=0.91,
        problems_by_step={2: 1},
        stops_by_step={2: 3},
    )
    assert (h.score, h.weakest_step, h.why) == (55, 2, "completion 54% (was 81%)")
    assert [(p.factor, round(p.points, 2)) for p in h.penalties] == [
        ("completion", 27.6),
        ("drop_off", 7.5),
        ("problems", 5),
        ("coverage", 4.5),
    ]
