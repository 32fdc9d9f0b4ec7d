"""Small statistics with stated methods: median, nearest-rank percentile, modes with ties."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def median(values: Iterable[float]) -> float | None:
    """The middle value, or the mean of the two middle values; None for no values."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    mid = n // 2
    if n % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def nearest_rank(values: Sequence[float], percent: int) -> float | None:
    """The nearest-rank percentile: the value at 1-based rank ceil(percent/100 * n).

    Always one of the observed values; p90 of 10 values is the 9th smallest, of 11 the 10th.
    """
    if not 0 < percent <= 100:
        raise ValueError("percent must be in 1..100")
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    rank = -(-percent * n // 100)  # integer ceil: no float rounding at exact ranks
    return ordered[rank - 1]


def ratio(part: float, whole: float) -> float | None:
    """part / whole, or None when whole is zero (no division by zero, no fake 0%)."""
    return part / whole if whole else None


def top(counts: Mapping[int, float]) -> tuple[int, float] | None:
    """The key with the highest value; ties go to the lowest key. None when empty."""
    best: tuple[int, float] | None = None
    for key, value in counts.items():
        if best is None or value > best[1] or (value == best[1] and key < best[0]):
            best = (key, value)
    return best
