"""KPI maths: windows and days across DST, and every KPI against hand-computed numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.kpis import (
    AnswerRecord,
    AssignmentRecord,
    AttemptRecord,
    FeedbackRecord,
    LookupRecord,
    QueryCount,
    RunRecord,
    SopInfo,
    StepCount,
    Tally,
    Window,
    compute_kpis,
    daily_rollups,
    day_window,
    median,
    minutes,
    name_list,
    nearest_rank,
    normalise_query,
    percent,
    tally,
    trailing_windows,
)

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 3, 10)
WINDOW = day_window(DAY, UTC)
NOW = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)
NEW_YEAR = datetime(2026, 1, 1, tzinfo=UTC)
MARCH_1 = datetime(2026, 3, 1, tzinfo=UTC)
NOON_10 = datetime(2026, 3, 10, 12, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    """An instant in 2026 (UTC)."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def run(
    run_id: int = 1,
    *,
    start: datetime,
    sop: str = "refund",
    user: str = "U1",
    status: str = "completed",
    minutes: float | None = None,
    steps: dict[int, float] | None = None,
    stopped: int | None = None,
    current_step: int = 1,
    current: bool = True,
    revision: int = 3,
) -> RunRecord:
    """A run; `minutes` is the time to finish (default 10 for finished runs, None for active)."""
    if minutes is None and status != "active":
        minutes = 10
    finished = start + timedelta(minutes=minutes) if minutes is not None else None
    return RunRecord(
        run_id=run_id,
        sop=sop,
        revision=revision,
        user=user,
        started_at=start,
        finished_at=finished,
        status=status,  # type: ignore[arg-type]
        current_step=current_step,
        step_seconds=steps or {},
        stopped_at_step=stopped,
        is_current_revision=current,
    )


def lookup(
    when: datetime, query: str = "refund", *, user: str = "U1", sop: str | None = None
) -> LookupRecord:
    """A lookup; a hit when it names an SOP."""
    return LookupRecord(at=when, user=user, query=query, hit=sop is not None, sop=sop)


def info(
    slug: str = "refund",
    *,
    title: str = "Handle a refund request",
    tags: tuple[str, ...] = ("billing", "support"),
    audience: int = 5,
    revision: int = 3,
    review_every: int | None = None,
    revised: datetime = NEW_YEAR,
    reviewed: datetime | None = None,
    steps: tuple[str, ...] = ("Greet", "Verify the order", "Refund", "Close the ticket"),
) -> SopInfo:
    return SopInfo(
        slug=slug,
        title=title,
        tags=tags,
        review_every_days=review_every,
        last_revision_at=revised,
        last_reviewed_at=reviewed,
        audience_size=audience,
        step_titles=steps,
        current_revision=revision,
    )


def assignment(
    user: str,
    status: str,
    *,
    name: str | None = None,
    revision: int = 3,
    sop: str = "refund",
    passed: datetime | None = None,
    published: datetime = MARCH_1,
) -> AssignmentRecord:
    return AssignmentRecord(
        sop=sop,
        revision=revision,
        user=user,
        user_name=name or user,
        assigned_at=published,
        status=status,  # type: ignore[arg-type]
        passed_at=passed,
        revision_published_at=published,
    )


def attempt(
    user: str,
    number: int,
    answers: list[tuple[int, int | None, bool]],
    *,
    passed: bool,
    revision: int = 3,
    start: datetime = NOON_10,
    sop: str = "refund",
) -> AttemptRecord:
    return AttemptRecord(
        sop=sop,
        revision=revision,
        user=user,
        attempt_number=number,
        started_at=start,
        passed=passed,
        answers=tuple(AnswerRecord(q, step, ok) for q, step, ok in answers),
    )


def note(
    id_: int,
    kind: str,
    status: str,
    created: datetime,
    resolved: datetime | None = None,
    *,
    step: int | None = None,
    sop: str = "refund",
) -> FeedbackRecord:
    return FeedbackRecord(
        id=id_,
        sop=sop,
        revision=3,
        step=step,
        kind=kind,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        created_at=created,
        resolved_at=resolved,
    )


def kpis(runs=(), lookups=(), *, window=WINDOW, now=NOW, sops=(), previous=None, **records):  # type: ignore[no-untyped-def]
    """compute_kpis straight from raw runs and lookups."""
    return compute_kpis(
        window=window,
        now=now,
        tally=tally(runs=runs, lookups=lookups, window=window),
        previous=previous,
        sops=sops,
        **records,
    )


# windows and days


def test_a_plain_day_is_24_hours_from_local_midnight():
    window = day_window(date(2026, 3, 10), BERLIN)
    assert window == Window(at(9, 23), at(10, 23))
    assert window.duration == timedelta(hours=24)
    assert at(9, 23) in window and at(10, 23) not in window  # half-open


def test_spring_forward_day_in_berlin_is_23_hours():
    window = day_window(date(2026, 3, 29), BERLIN)
    assert window == Window(at(28, 23), at(29, 22))
    assert window.duration == timedelta(hours=23)


def test_fall_back_day_in_berlin_is_25_hours():
    window = day_window(date(2026, 10, 25), BERLIN)
    assert window == Window(at(24, 22, month=10), at(25, 23, month=10))
    assert window.duration == timedelta(hours=25)
    # 02:30 happens twice that night; both belong to the 25th
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    assert first in window and first.replace(fold=1) in window


def test_a_day_whose_midnight_is_skipped_starts_when_the_clock_jumps():
    havana = ZoneInfo("America/Havana")  # 2026-03-08 00:00 -> 01:00
    window = day_window(date(2026, 3, 8), havana)
    assert window.start == at(8, 5)
    assert window.duration == timedelta(hours=23)
    assert day_window(date(2026, 3, 7), havana).end == window.start


@pytest.mark.parametrize(
    ("local", "utc_day", "day"),
    [
        (datetime(2026, 3, 29, 0, 30, tzinfo=BERLIN), date(2026, 3, 28), date(2026, 3, 29)),
        (datetime(2026, 10, 25, 0, 30, tzinfo=BERLIN), date(2026, 10, 24), date(2026, 10, 25)),
    ],
)
def test_a_run_at_half_past_midnight_on_a_dst_day_belongs_to_that_local_day(local, utc_day, day):
    r = run(start=local.astimezone(UTC))
    assert r.started_at.date() == utc_day  # in UTC it is still the day before
    assert (
        tally(runs=[r], lookups=[], window=day_window(day, BERLIN)).of("refund").runs_started == 1
    )
    before = day_window(day - timedelta(days=1), BERLIN)
    assert tally(runs=[r], lookups=[], window=before).of("refund").runs_started == 0
    [rollup] = daily_rollups(runs=[r], lookups=[], tz=BERLIN)
    assert rollup.day == day


def test_trailing_windows_are_seven_local_days_and_the_seven_before():
    current, previous = trailing_windows(date(2026, 3, 29), BERLIN)
    assert current == Window(day_window(date(2026, 3, 23), BERLIN).start, at(29, 22))
    assert current.duration == timedelta(hours=7 * 24 - 1)  # contains the 23-hour day
    assert previous.end == current.start
    assert previous.start == day_window(date(2026, 3, 16), BERLIN).start
    assert previous.duration == timedelta(hours=7 * 24)
    autumn, _ = trailing_windows(date(2026, 10, 25), BERLIN)
    assert autumn.duration == timedelta(hours=7 * 24 + 1)
    one, before = trailing_windows(date(2026, 3, 29), BERLIN, days=1)
    assert one == day_window(date(2026, 3, 29), BERLIN)
    assert before == day_window(date(2026, 3, 28), BERLIN)


def test_windows_refuse_naive_or_backwards_times():
    with pytest.raises(ValueError, match="aware"):
        Window(datetime(2026, 3, 1), datetime(2026, 3, 2))
    with pytest.raises(ValueError, match="before it starts"):
        Window(at(2), at(1))
    with pytest.raises(ValueError):
        trailing_windows(DAY, UTC, days=0)


def test_a_run_spanning_midnight_is_attributed_to_its_start_day():
    start = datetime(2026, 3, 10, 23, 50, tzinfo=BERLIN).astimezone(UTC)
    r = run(start=start, minutes=30)
    day1 = kpis([r], window=day_window(date(2026, 3, 10), BERLIN))
    day2 = kpis([r], window=day_window(date(2026, 3, 11), BERLIN))
    assert day1.total.usage.runs_started == 1 and day1.total.usage.runs_completed == 1
    assert day1.total.run_time.median_minutes == pytest.approx(30, rel=0.01)  # 1% above 10 min
    assert day2.total.usage.runs_started == day2.total.usage.runs_completed == 0
    assert day2.total.run_time.median_minutes is None


# statistics


def test_median_is_the_middle_or_the_mean_of_the_two_middles():
    assert median([]) is None
    assert median([7]) == 7
    assert median([30, 10, 20]) == 20
    assert median([40, 10, 30, 20]) == 25


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, 1), (2, 2), (4, 4), (9, 9), (10, 9), (11, 10), (20, 18), (100, 90), (101, 91)],
)
def test_p90_is_nearest_rank(n, expected):
    assert nearest_rank(list(range(n, 0, -1)), 90) == expected


def test_nearest_rank_of_nothing_is_none():
    assert nearest_rank([], 90) is None
    with pytest.raises(ValueError):
        nearest_rank([1], 0)


# usage and completion


def test_usage_counts_lookups_runs_and_distinct_people_in_the_window():
    runs = [
        run(1, start=at(10, 0), user="U1"),  # the window's first instant
        run(2, start=at(10, 9), user="U2", status="abandoned", stopped=2),
        run(3, start=at(10, 23, 59), user="U1", status="active"),
        run(4, start=at(10, 12), user="U3", sop="onboarding"),
        run(5, start=at(9, 23, 59), user="U9"),  # the day before
        run(6, start=at(11, 0), user="U9"),  # the window's end is not in it
    ]
    lookups = [
        lookup(at(10, 8), "refund", user="U1", sop="refund"),
        lookup(at(10, 8), "gift card", user="U4"),
        lookup(at(11, 8), "refund", user="U8", sop="refund"),
    ]
    k = kpis(runs, lookups, sops=[info()])
    refund = k.sops["refund"].usage
    assert (refund.lookups, refund.runs_started, refund.runs_completed) == (1, 3, 1)
    assert (refund.runs_abandoned, refund.people) == (1, 2)
    assert k.sops["onboarding"].title == "onboarding"  # no SopInfo: a retired SOP's runs
    total = k.total.usage
    assert (total.lookups, total.runs_started, total.runs_completed, total.people) == (2, 4, 2, 4)


def test_completion_counts_finished_runs_and_open_runs_older_than_24_hours():
    now = at(11, 12)
    runs = [
        run(1, start=at(10, 1)),
        run(2, start=at(10, 2), status="abandoned"),
        run(3, start=at(10, 11, 59, 59), status="active"),  # 24 h and 1 s old: a failure
        run(4, start=at(10, 12), status="active"),  # exactly 24 h old: not older yet
        run(5, start=at(10, 20), status="active"),  # young
    ]
    k = kpis(runs, now=now)
    assert k.total.eligible_runs == 3
    assert k.total.completion == pytest.approx(1 / 3)
    later = kpis(runs, now=at(12, 0))  # everything is over 24 h old
    assert later.total.eligible_runs == 5 and later.total.completion == pytest.approx(1 / 5)


def test_completion_is_none_when_no_run_is_eligible_yet():
    k = kpis([run(start=at(10, 20), status="active")], now=at(10, 23), sops=[info()])
    assert k.total.completion is None and k.sops["refund"].completion is None
    assert k.total.usage.runs_started == 1


def test_an_empty_day_has_zeros_and_nones_and_no_division_by_zero():
    k = kpis(sops=[info(audience=0)])
    assert k.total.usage.runs_started == 0 and k.total.usage.people == 0
    refund = k.sops["refund"]
    assert refund.completion is None and refund.previous_completion is None
    assert refund.run_time.median_minutes is None and refund.run_time.p90_minutes is None
    assert refund.run_time.slowest_step is None and refund.drop_off is None
    assert refund.coverage.rate is None and k.total.coverage.rate is None
    assert refund.quiz.first_attempt_pass_rate is None and refund.quiz.hardest is None
    assert refund.feedback.median_days_to_resolve is None
    assert refund.adherence.rate is None and k.total.adherence.rate is None
    assert k.total.content_gaps == () and k.total.stale == ()
    assert refund.health.score == 100 and refund.health.why == "no issues found"
    assert percent(refund.completion) == minutes(refund.run_time.median_minutes) == "—"


def test_trend_compares_with_the_previous_window():
    week, previous = trailing_windows(DAY, UTC)
    runs = [run(i, start=at(9, i), status="abandoned" if i < 2 else "completed") for i in range(4)]
    runs += [run(9, start=at(1, 5)), run(10, start=at(2, 5), status="abandoned")]
    before = tally(runs=runs, lookups=[], window=previous)
    k = kpis(runs, window=week, previous=before, sops=[info()])
    assert k.total.completion == 0.5 and k.total.previous_completion == 0.5
    assert k.total.usage.runs_started == 4 and k.total.previous_usage.runs_started == 2
    assert k.sops["refund"].previous_usage.runs_started == 2


# run time, slowest step, drop-off


def test_run_time_median_and_p90_of_completed_runs_only():
    runs = [run(i, start=at(10, i), minutes=m) for i, m in enumerate([10, 40, 20, 30])]
    runs.append(run(8, start=at(10, 9), status="abandoned", minutes=500))
    runs.append(run(9, start=at(10, 9), status="active"))
    rt = kpis(runs).total.run_time
    # histograms: within 1% above 10 minutes (docs/kpis.md)
    assert rt.median_minutes == pytest.approx(25, rel=0.01)
    assert rt.p90_minutes == pytest.approx(40, rel=0.01)


def test_slowest_step_is_the_highest_median_over_completed_and_abandoned_runs():
    runs = [
        run(1, start=at(10, 1), steps={1: 60, 2: 300}),
        run(2, start=at(10, 2), steps={1: 120, 2: 100}),
        run(3, start=at(10, 3), status="abandoned", steps={1: 600}),
        run(4, start=at(10, 4), status="active", steps={2: 9999}),  # not finished: ignored
    ]
    rt = kpis(runs).sops["refund"].run_time
    assert rt.slowest_step == 2  # step 1: median 120 s; step 2: median 200 s
    assert rt.slowest_step_minutes == pytest.approx(200 / 60, abs=5 / 60)  # 5 s under 10 min


def test_slowest_step_tie_goes_to_the_lower_step():
    rt = kpis([run(start=at(10, 1), steps={3: 60, 2: 60, 4: 10})]).sops["refund"].run_time
    assert rt.slowest_step == 2


def test_drop_off_is_the_most_frequent_stop_with_ties_to_the_lower_step():
    stops = [3, 3, 2, 2, 4]
    runs = [run(i, start=at(10, i), status="abandoned", stopped=s) for i, s in enumerate(stops)]
    assert kpis(runs).sops["refund"].drop_off == StepCount(2, 2)
    runs.append(run(9, start=at(10, 9), status="abandoned", current_step=3))  # stopped unknown
    assert kpis(runs).sops["refund"].drop_off == StepCount(3, 3)


# training


def test_coverage_counts_current_passes_against_the_audience():
    assignments = [
        assignment("U1", "current", passed=at(2)),
        assignment("U2", "current", passed=at(3)),
        assignment("U3", "pending", name="cy"),
        assignment("U4", "overdue", name="Dee"),
        assignment("U6", "pending", name="Al"),
        assignment("U1", "superseded", revision=2, passed=at(1, month=2)),
        assignment("U5", "superseded", revision=2, passed=at(1, month=2)),  # passed v2 only
        # only the current revision counts, whatever an older one's row says
        assignment("U7", "current", revision=2, passed=at(1, month=2)),
        assignment("U8", "overdue", revision=2, name="Old"),
    ]
    c = kpis(sops=[info(audience=5)], assignments=assignments).sops["refund"].coverage
    assert (c.passed, c.audience, c.rate) == (2, 5, 0.4)
    assert c.pending == ("Al", "cy") and c.overdue == ("Dee",)


def test_coverage_is_capped_at_100_percent_and_none_without_audience():
    passes = [assignment(f"U{i}", "current") for i in range(4)]
    assert kpis(sops=[info(audience=3)], assignments=passes).sops["refund"].coverage.rate == 1.0
    assert kpis(sops=[info(audience=0)], assignments=passes).sops["refund"].coverage.rate is None


def test_total_coverage_is_weighted_by_audience():
    sops = [info("a", audience=5), info("b", audience=10), info("c", audience=0)]
    passes = [assignment(f"U{i}", "current", sop="a") for i in range(2)]
    passes += [assignment(f"U{i}", "current", sop="b") for i in range(9)]
    c = kpis(sops=sops, assignments=passes).total.coverage
    assert (c.passed, c.audience) == (11, 15)


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "—"),
        (1, "P0"),
        (3, "P0, P1, P2"),
        (10, ", ".join(f"P{i}" for i in range(10))),
        (11, ", ".join(f"P{i}" for i in range(10)) + " and 1 more"),
        (25, ", ".join(f"P{i}" for i in range(10)) + " and 15 more"),
    ],
)
def test_name_list_names_ten_then_and_n_more(count, text):
    assert name_list([f"P{i}" for i in range(count)]) == text


def test_name_list_limit():
    assert name_list(["A", "B", "C"], limit=2) == "A, B and 1 more"


def test_quiz_first_attempt_pass_rate_and_hardest_question():
    attempts = [
        attempt("U1", 1, [(1, 1, True), (2, 2, False), (3, None, False)], passed=True),
        attempt("U2", 1, [(1, 1, True), (2, 2, False), (3, None, False)], passed=False),
        attempt("U2", 2, [(1, 1, True), (2, 2, True)], passed=True),  # a retry
        attempt("U3", 1, [(1, 1, True), (2, 2, True)], passed=True),
        attempt("U4", 1, [(2, 2, False)], passed=False, revision=2),  # an old revision
        attempt("U5", 1, [(2, 2, False)], passed=False, start=at(9, 12)),  # outside
    ]
    q = kpis(sops=[info()], attempts=attempts).sops["refund"].quiz
    assert (q.first_attempts, q.first_attempt_passes) == (3, 2)
    assert q.first_attempt_pass_rate == pytest.approx(2 / 3)
    # q1 3/3 right, q2 1/3; q3 0/2 has too few answers to qualify
    assert (q.hardest.question, q.hardest.right, q.hardest.answers) == (2, 1, 3)


def test_hardest_question_tie_goes_to_the_lower_number():
    attempts = [
        attempt(f"U{i}", 1, [(2, None, i == 0), (1, None, i == 0)], passed=False) for i in range(3)
    ]
    assert kpis(sops=[info()], attempts=attempts).sops["refund"].quiz.hardest.question == 1


def test_retrain_time_per_revision_median_and_80_percent():
    p3, p2 = at(1), at(1, month=2)
    hours = [2, 4, 10, 30]
    assignments = [
        assignment(f"U{h}", "current", passed=p3 + timedelta(hours=h), published=p3) for h in hours
    ]
    assignments.append(assignment("U99", "pending", published=p3))
    assignments += [
        assignment("U1", "superseded", revision=2, published=p2, passed=p2 + timedelta(hours=1)),
        assignment("U2", "superseded", revision=2, published=p2, passed=p2 + timedelta(hours=3)),
    ]
    v2, v3 = kpis(sops=[info(audience=5)], assignments=assignments).sops["refund"].retrain
    assert (v3.revision, v3.assigned, v3.passed, v3.audience) == (3, 5, 4, 5)
    assert v3.median_hours == 7  # (4 + 10) / 2
    assert v3.hours_to_80 == 30  # 4 of 5 people
    assert (v2.revision, v2.audience, v2.median_hours, v2.hours_to_80) == (2, 2, 2, 3)
    bigger = kpis(sops=[info(audience=10)], assignments=assignments).sops["refund"].retrain
    assert bigger[1].hours_to_80 is None  # 4 of 10 passed: not yet


# feedback, content gaps, staleness, adherence


def test_feedback_new_open_resolved_and_median_days():
    items = [
        note(1, "problem", "open", at(9), step=4),  # open, older
        note(2, "problem", "acknowledged", at(10, 1), step=4),  # new and open
        note(3, "suggestion", "resolved", at(8, 12), at(10, 12), step=2),  # 2 days
        note(4, "question", "resolved", at(10, 2), at(11, 2), step=2),  # open at the window's end
        note(5, "praise", "wont_fix", at(10, 6), at(10, 7)),
        note(6, "problem", "resolved", at(10, 6), at(10, 18), step=1),  # half a day
        note(7, "problem", "open", at(11, 1), step=1),  # after the window
    ]
    f = kpis(sops=[info()], feedback=items).sops["refund"].feedback
    assert (f.new, f.open, f.open_problems, f.resolved, f.wont_fix) == (4, 3, 2, 2, 1)
    assert f.median_days_to_resolve == 1.25
    assert f.most_open_step == StepCount(4, 2)


def test_content_gaps_normalise_and_keep_the_top_five():
    queries = ["Gift card", "gift  card", " GIFT\tcard ", "vpn", "VPN", "zebra", "beta", "alpha"]
    queries += ["gamma", "   "]
    lookups = [lookup(at(10, 9), q) for q in queries]
    lookups.append(lookup(at(10, 9), "refund", sop="refund"))  # found: not a gap
    gaps = kpis([], lookups).total.content_gaps
    assert gaps == (
        QueryCount("gift card", 3),
        QueryCount("vpn", 2),
        QueryCount("alpha", 1),
        QueryCount("beta", 1),
        QueryCount("gamma", 1),
    )
    assert normalise_query("  Reset\n  PASSWORD ") == "reset password"


def test_staleness_uses_the_later_of_revision_and_review():
    now = NOW
    cases = {
        "fresh": info("fresh", review_every=90, revised=now - timedelta(days=89)),
        "edge": info("edge", review_every=90, revised=now - timedelta(days=90)),
        "old": info("old", review_every=90, revised=now - timedelta(days=91, hours=1)),
        "confirmed": info(
            "confirmed",
            review_every=90,
            revised=now - timedelta(days=300),
            reviewed=now - timedelta(days=10),
        ),
        "reviewed-long-ago": info(
            "reviewed-long-ago",
            review_every=90,
            revised=now - timedelta(days=300),
            reviewed=now - timedelta(days=140),
        ),
        "never-reviewed": info("never-reviewed", revised=now - timedelta(days=999)),
    }
    k = kpis(sops=list(cases.values()), now=now)
    stale = {slug: s.stale for slug, s in k.sops.items() if s.stale}
    assert set(stale) == {"old", "reviewed-long-ago"}
    assert stale["old"].text == "stale: last revised 91 days ago"
    assert stale["reviewed-long-ago"].text == "stale: last reviewed 140 days ago"
    assert k.total.stale == ("reviewed-long-ago", "old")  # longest first


def test_adherence_is_the_share_of_runs_on_the_current_revision():
    runs = [run(i, start=at(10, i), current=i != 0) for i in range(4)]
    a = kpis(runs).sops["refund"].adherence
    assert (a.current, a.outdated, a.rate) == (3, 1, 0.75)


def test_percent_and_minutes_round_half_up_and_never_to_a_misleading_0_or_100():
    values = (None, 0, 0.004, 0.125, 0.5, 5 / 6, 0.996, 1)
    assert [percent(v) for v in values] == ["—", "0%", "1%", "13%", "50%", "83%", "99%", "100%"]
    assert [minutes(v) for v in (None, 0.25, 4.45, 12.5, 90)] == [
        "—",
        "0.3 min",
        "4.5 min",
        "13 min",
        "90 min",
    ]


def test_tally_of_nothing_is_empty():
    assert tally(runs=[], lookups=[], window=WINDOW) == Tally({})
    assert Tally({}).total().eligible_runs(NOW) == 0


def test_search_misses_near_an_sop_share_a_word_with_its_title_or_tags():
    queries = ["refund voucher", "Refund  Voucher", "how to refund", "billing address"]
    queries += ["the how", "vpn", "red"]  # stop words and short words tie to nothing
    sops = [info(), info("vpn-setup", title="Set up the VPN", tags=("it",), audience=0)]
    k = kpis([], [lookup(at(10, 9), q) for q in queries], sops=sops)
    [misses] = [p for p in k.sops["refund"].health.penalties if p.factor == "misses"]
    assert misses.points == 8  # 4 searches, 2 points each
    assert misses.text == '4 searches near its tags found nothing ("refund voucher")'
    assert k.sops["vpn-setup"].health.why == '1 search near its tags found nothing ("vpn")'
