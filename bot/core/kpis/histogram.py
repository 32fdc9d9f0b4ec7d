"""Time histograms: what a Counts keeps of run and step times, and medians read from them.

A per-run list grows with every run; a histogram grows only until its buckets are used.
Buckets are 10 s wide under 10 minutes and 2 % wide above (each read as its middle), so a
median or p90 is within 5 s of the exact one under 10 minutes and within 1 % above
(docs/kpis.md). Adding `Times` only joins their parts; a rank is found by bisecting each part,
so a week of daily rollups costs about the same at 1M and at 5M events (bench/digest.py).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from itertools import accumulate

LINEAR_UNTIL = 600.0  # seconds: 10-minute steps are common, and "7 min 25 s" reads fine
WIDTH = 10.0  # seconds per bucket under LINEAR_UNTIL
GROWTH = 1.02  # each bucket above is 2 % wider than the one before
_FIRST_LOG = int(LINEAR_UNTIL // WIDTH)
_LOG_GROWTH = math.log(GROWTH)

Histogram = tuple[tuple[int, int], ...]  # (bucket, times in it), sorted: the canonical form
Part = tuple[list[int], list[int]]  # sorted buckets, and the running total of times up to each


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


class Times:
    """Times in buckets, as the parts they were added from; equal when their buckets are."""

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[Part] = ()) -> None:
        self.parts: tuple[Part, ...] = tuple(p for p in parts if p[0])

    @classmethod
    def from_counts(cls, found: Mapping[int, int]) -> Times:
        """Times from a bucket -> count mapping."""
        buckets = sorted(found)
        return cls([(buckets, list(accumulate(found[b] for b in buckets)))])

    @classmethod
    def from_json(cls, buckets: list[int], counts: list[int]) -> Times:
        """Times from sorted buckets and the count in each (as `to_json` wrote them)."""
        return cls([(buckets, list(accumulate(counts)))])

    def to_json(self) -> list[list[int]]:
        """[sorted buckets, count in each]: what a rollup stores."""
        merged = self.histogram()
        return [[b for b, _ in merged], [n for _, n in merged]]

    def histogram(self) -> Histogram:
        """The canonical (bucket, count) pairs, parts added up."""
        found: dict[int, int] = {}
        for buckets, totals in self.parts:
            previous = 0
            for b, total in zip(buckets, totals, strict=True):
                found[b] = found.get(b, 0) + total - previous
                previous = total
        return tuple(sorted(found.items()))

    def __add__(self, other: Times) -> Times:
        return Times(self.parts + other.parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Times) and self.histogram() == other.histogram()

    def __hash__(self) -> int:
        return hash(self.histogram())

    def __repr__(self) -> str:
        return f"Times({self.histogram()})"

    def __len__(self) -> int:
        return sum(totals[-1] for _, totals in self.parts)

    def at_rank(self, rank: int) -> float:
        """The time at 1-based `rank` in ascending order."""
        if len(self.parts) == 1:
            buckets, totals = self.parts[0]
            return value(buckets[bisect_left(totals, rank)])
        low = min(buckets[0] for buckets, _ in self.parts)
        high = max(buckets[-1] for buckets, _ in self.parts)
        while low < high:  # the lowest bucket holding at least `rank` times up to it
            middle = (low + high) // 2
            if self._up_to(middle) >= rank:
                high = middle
            else:
                low = middle + 1
        return value(low)

    def up_to_value(self, time: float) -> int:
        """How many times are in `time`'s bucket or below."""
        return self._up_to(bucket(time))

    def _up_to(self, index: int) -> int:
        seen = 0
        for buckets, totals in self.parts:
            i = bisect_right(buckets, index)
            if i:
                seen += totals[i - 1]
        return seen


def joined(times: Iterable[Times]) -> Times:
    """Several Times as one (their parts side by side)."""
    return Times(p for t in times for p in t.parts)


def histogram(seconds: Iterable[float]) -> Times:
    """The Times of some seconds."""
    found: dict[int, int] = {}
    for s in seconds:
        b = bucket(s)
        found[b] = found.get(b, 0) + 1
    return Times.from_counts(found)


def median(t: Times) -> float | None:
    """The usual median (mean of the two middle times for an even count); None when empty."""
    n = len(t)
    if n == 0:
        return None
    if n % 2:
        return t.at_rank(n // 2 + 1)
    low = t.at_rank(n // 2)
    # Both middle times are usually in the same bucket: then one search is enough.
    same = t.up_to_value(low) >= n // 2 + 1
    return low if same else (low + t.at_rank(n // 2 + 1)) / 2


def nearest_rank(t: Times, percent: int) -> float | None:
    """The nearest-rank percentile (rank ceil(percent/100 * n)), as in stats.nearest_rank."""
    if not 0 < percent <= 100:
        raise ValueError("percent must be in 1..100")
    n = len(t)
    return None if n == 0 else t.at_rank(-(-percent * n // 100))


def weighted_median(pairs: Iterable[tuple[float, int]]) -> float | None:
    """The median of values given as (value, how many times), in any order."""
    ordered = sorted(pairs)
    n = sum(count for _, count in ordered)
    if n == 0:
        return None

    def at(rank: int) -> float:
        seen = 0
        for v, count in ordered:
            seen += count
            if seen >= rank:
                return v
        raise AssertionError("rank beyond the values")

    return at(n // 2 + 1) if n % 2 else (at(n // 2) + at(n // 2 + 1)) / 2
