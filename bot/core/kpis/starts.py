"""When open runs started: enough to apply the 24-hour rule at any `now`, cheap to add up."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(t: datetime) -> int:
    """Microseconds since 1970 (exact: no float rounding)."""
    return (t - EPOCH) // _MICROSECOND


class Starts:
    """Start times as sorted microsecond lists, one per part added; counted by bisecting.

    A month of rollups holds thousands of open runs' start times, and a KPI only asks how
    many started before a cutoff: no datetime is made unless someone iterates.
    """

    __slots__ = ("parts",)

    def __init__(self, parts: Iterable[list[int]] = ()) -> None:
        self.parts: tuple[list[int], ...] = tuple(p for p in parts if p)

    @classmethod
    def of(cls, times: Iterable[datetime]) -> Starts:
        """Starts from datetimes."""
        return cls([sorted(micros(t) for t in times)])

    @staticmethod
    def joined(parts: Iterable[Starts]) -> Starts:
        """Several Starts as one."""
        return Starts(p for s in parts for p in s.parts)

    def before(self, cutoff: datetime) -> int:
        """How many started strictly before `cutoff`."""
        limit = micros(cutoff)
        return sum(bisect_left(p, limit) for p in self.parts)

    def micros(self) -> list[int]:
        """Every start in microseconds since 1970, ascending."""
        return sorted(m for p in self.parts for m in p)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)

    def __iter__(self) -> Iterator[datetime]:
        return iter([EPOCH + m * _MICROSECOND for m in self.micros()])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Starts):
            return self.micros() == other.micros()
        return isinstance(other, tuple) and tuple(self) == other

    def __hash__(self) -> int:
        return hash(tuple(self.micros()))

    def __repr__(self) -> str:
        return f"Starts({[t.isoformat() for t in self]})"
