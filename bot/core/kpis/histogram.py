"""Time histograms: what a Counts keeps of run and step times, and medians read from them.

A per-run list grows with every run; a histogram grows only until its buckets are used, so a
week of rollups costs about the same at 1M and at 5M events (bench/digest.py). Buckets are
10 s wide under 10 minutes and 2 % wide above (each read as its middle), so a median or p90
is within 5 s of the exact one under 10 minutes and within 1 % above (docs/kpis.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

LINEAR_UNTIL = 600.0  # seconds: 10-minute steps are common, and "7 min 25 s" reads fine
WIDTH = 10.0  # seconds per bucket under LINEAR_UNTIL
GROWTH = 1.02  # each bucket above is 2 % wider than the one before
_FIRST_LOG = int(LINEAR_UNTIL // WIDTH)
_LOG_GROWTH = math.log(GROWTH)

# (bucket, runs) sorted by bucket: canonical, so equal data compares equal.
Histogram = tuple[tuple[int, int], ...]
# (value, runs) sorted by value: what medians are read from (a histogram, or several rescaled).
Distribution = list[tuple[float, int]]


def bucket(seconds: float) -> int:
    """The bucket of a time in seconds (negative times, which clocks can make, go in 0)."""
    if seconds < LINEAR_UNTIL:
        return max(0, int(seconds // WIDTH))
    return _FIRST_LOG + int(math.log(seconds / LINEAR_UNTIL) / _LOG_GROWTH)


def value(index: int) -> float:
    """The time a bucket stands for: its middle (the geometric middle above LINEAR_UNTIL)."""
    if index < _FIRST_LOG:
        return index * WIDTH + WIDTH / 2
    return LINEAR_UNTIL * GROWTH ** (index - _FIRST_LOG + 0.5)


def histogram(seconds: Iterable[float]) -> Histogram:
    """The histogram of some times."""
    found: dict[int, int] = {}
    for s in seconds:
        b = bucket(s)
        found[b] = found.get(b, 0) + 1
    return tuple(sorted(found.items()))


def add_into(found: dict[int, int], h: Histogram) -> None:
    """Add a histogram's runs into a bucket -> runs dict (merging many histograms)."""
    for b, n in h:
        found[b] = found.get(b, 0) + n


def frozen(found: dict[int, int]) -> Histogram:
    """A bucket -> runs dict as a canonical Histogram."""
    return tuple(sorted(found.items()))


def merge(parts: Iterable[Histogram]) -> Histogram:
    """The sum of several histograms."""
    found: dict[int, int] = {}
    for h in parts:
        add_into(found, h)
    return frozen(found)


def size(h: Histogram) -> int:
    """How many times a histogram holds."""
    return sum(n for _, n in h)


def distribution(h: Histogram, scale: float = 1.0) -> Distribution:
    """A histogram as (value, runs) pairs, each value divided by `scale`."""
    return [(value(b) / scale, n) for b, n in h]


def at_rank(d: Distribution, rank: int) -> float:
    """The value at 1-based `rank` of a sorted distribution."""
    seen = 0
    for v, n in d:
        seen += n
        if seen >= rank:
            return v
    raise ValueError(f"rank {rank} is beyond the {seen} values")


def median_of(d: Distribution) -> float | None:
    """The usual median (mean of the two middle values for an even count); None when empty."""
    n = sum(count for _, count in d)
    if n == 0:
        return None
    if n % 2:
        return at_rank(d, n // 2 + 1)
    return (at_rank(d, n // 2) + at_rank(d, n // 2 + 1)) / 2


def median(h: Histogram) -> float | None:
    """The median time in a histogram."""
    return median_of(distribution(h))


def nearest_rank(h: Histogram, percent: int) -> float | None:
    """The nearest-rank percentile (rank ceil(percent/100 * n)), as in stats.nearest_rank."""
    if not 0 < percent <= 100:
        raise ValueError("percent must be in 1..100")
    n = size(h)
    if n == 0:
        return None
    return at_rank(distribution(h), -(-percent * n // 100))
