"""Histogram medians stay within the precision docs/kpis.md states, against the exact values."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from bot.core.kpis.histogram import (
    bucket,
    histogram,
    joined,
    median,
    nearest_rank,
    value,
)
from bot.core.kpis.stats import nearest_rank as exact_nearest_rank
from bot.core.kpis.steps import step_paces
from bot.core.kpis.tally import Counts

# The documented precision: 5 s under 10 minutes, 1 % above; a median whose two middle times
# straddle 10 minutes is within 5 s + 1 %.


def bound(exact: float) -> float:
    return 5 + 0.01 * exact + 1e-9


def sample(rng: random.Random) -> list[float]:
    """Times as runs make them: log-normal of a random spread, near 10 minutes, or whole hours."""
    n = rng.choice([1, 2, 3, 4, 7, 10, 51, 300])
    shape = rng.choice(["lognormal", "boundary", "long", "mixed"])
    if shape == "lognormal":
        mu, sigma = rng.uniform(2, 9), rng.uniform(0.1, 2)
        return [rng.lognormvariate(mu, sigma) for _ in range(n)]
    if shape == "boundary":
        return [rng.uniform(590, 610) for _ in range(n)]
    if shape == "long":
        return [rng.uniform(3600, 7 * 86400) for _ in range(n)]
    return [rng.choice([rng.uniform(0, 600), rng.uniform(600, 9000)]) for _ in range(n)]


@pytest.mark.parametrize("seed", range(300))
def test_medians_and_p90_from_a_histogram_are_within_the_stated_precision(seed):
    rng = random.Random(seed)
    times = sample(rng)
    # split in days and merged back, as rollups are
    days = [times[i::3] for i in range(3)]
    h = joined(histogram(d) for d in days)  # three parts, ranked by bisecting each
    whole = histogram(times)
    assert h == whole and len(h) == len(times)
    assert [h.at_rank(k) for k in range(1, len(times) + 1)] == [
        whole.at_rank(k) for k in range(1, len(times) + 1)
    ]
    exact = statistics.median(times)
    assert abs(median(h) - exact) <= bound(exact)
    for percent in (50, 90, 100):
        exact_rank = exact_nearest_rank(times, percent)
        # one observed time: 5 s under 10 minutes, 1 % above, never both
        assert abs(nearest_rank(h, percent) - exact_rank) <= max(5, 0.01 * exact_rank) + 1e-9


@pytest.mark.parametrize("seconds", [0, 4.99, 5, 599.99, 600, 600.01, 612, 3600, 86400 * 7])
def test_each_time_reads_back_within_its_bucket(seconds):
    assert abs(value(bucket(seconds)) - seconds) <= max(5, 0.01 * seconds) + 1e-9


def test_buckets_are_in_the_order_of_their_times():
    times = sorted(random.Random(3).uniform(0, 90000) for _ in range(5000))
    assert [bucket(t) for t in times] == sorted(bucket(t) for t in times)
    assert bucket(-3) == 0  # clocks that went backwards


def test_a_histogram_grows_with_its_buckets_not_with_its_runs():
    rng = random.Random(5)
    few = histogram(rng.lognormvariate(4.5, 0.8) for _ in range(1_000))
    many = histogram(rng.lognormvariate(4.5, 0.8) for _ in range(100_000))
    assert len(many.histogram()) < 2 * len(few.histogram()) and len(many) == 100_000


@pytest.mark.parametrize("seed", range(100))
def test_a_step_pace_is_within_the_precision_of_the_exact_median_ratio(seed):
    rng = random.Random(10_000 + seed)
    expected_times = rng.choice([[300], [60, 300], [45, 600, 900]])
    runs = [
        (rng.choice(expected_times), rng.lognormvariate(math.log(300), 0.7))
        for _ in range(rng.randint(1, 80))
    ]
    groups: dict[int, list[float]] = {}
    for expected, seconds in runs:
        groups.setdefault(expected, []).append(seconds)
    counts = Counts(step_seconds=tuple((3, e, histogram(s)) for e, s in sorted(groups.items())))
    pace = step_paces(counts)[3]
    exact = statistics.median(seconds / expected for expected, seconds in runs)
    # each ratio is off by at most (5 s or 1 %) / its expected time
    assert abs(pace.times - exact) <= 5 / min(expected_times) + 0.01 * exact + 1e-9
    assert pace.runs == len(runs)
    most = max(groups, key=lambda e: (len(groups[e]), -e))
    assert pace.expected_seconds == most
