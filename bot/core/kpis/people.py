"""Distinct people: user IDs from records, person numbers from rollups, counted once.

A rollup stores its people as numbers (bot/db/rollups.py numbers each user ID once per
workspace): a short list when few, a bitmap when many, so a busy day's row is no longer than
the workspace is wide, however many runs it holds. Adding People only joins their parts; the
union is taken once, when a KPI asks how many.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping


class People:
    """Some people as user IDs (`names`), person numbers (`numbers`) and a bitmap (`bits`).

    A number stands for the user ID it was given; the persistence layer turns the IDs it has
    numbers for into numbers (`numbered`) before adding records to rollups, so nobody is
    counted twice.
    """

    __slots__ = ("_names", "_numbers", "_bits", "_count")

    def __init__(
        self,
        names: Iterable[Collection[str]] = (),
        numbers: Iterable[Collection[int]] = (),
        bits: int = 0,
    ) -> None:
        self._names = tuple(p for p in names if p)
        self._numbers = tuple(p for p in numbers if p)
        self._bits = bits
        self._count: int | None = None

    def __add__(self, other: People) -> People:
        return People.joined((self, other))

    @staticmethod
    def joined(parts: Iterable[People]) -> People:
        """Several People as one (their parts side by side)."""
        names: list[Collection[str]] = []
        numbers: list[Collection[int]] = []
        bits = 0
        for p in parts:
            names.extend(p._names)
            numbers.extend(p._numbers)
            bits |= p._bits
        return People(names, numbers, bits)

    def names(self) -> frozenset[str]:
        """The user IDs without a number."""
        found: set[str] = set()
        for part in self._names:
            found.update(part)
        return frozenset(found)

    def has_names(self) -> bool:
        """Whether some people are user IDs (not numbered)."""
        return bool(self._names)

    def bitmap(self) -> int:
        """Every person number, as bits."""
        if not self._numbers:
            return self._bits
        # Set the listed numbers' bits in a byte array: one step per number, not per bitmap.
        highest = max(max(part) for part in self._numbers)
        found = bytearray(highest // 8 + 1)
        for part in self._numbers:
            for n in part:
                found[n >> 3] |= 1 << (n & 7)
        return self._bits | int.from_bytes(found, "little")

    def numbers(self) -> list[int]:
        """Every person number, ascending."""
        found = {n for part in self._numbers for n in part}
        bits, base = self._bits, 0
        while bits:  # one bit at a time: only when a rollup is written
            low = bits & -bits
            found.add(base + low.bit_length() - 1)
            bits ^= low
        return sorted(found)

    def __len__(self) -> int:
        if self._count is None:
            self._count = len(self.names()) + self.bitmap().bit_count()
        return self._count

    def numbered(self, numbers: Mapping[str, int]) -> People:
        """The same people, with the user IDs in `numbers` as their numbers."""
        names = self.names()
        found = [numbers[n] for n in names if n in numbers]
        rest = [n for n in names if n not in numbers]
        return People([rest], [*self._numbers, found], self._bits)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (set, frozenset)):
            other = People([other])
        if not isinstance(other, People):
            return NotImplemented
        return (self.names(), self.bitmap()) == (other.names(), other.bitmap())

    def __hash__(self) -> int:
        return hash((self.names(), self.bitmap()))

    def __repr__(self) -> str:
        return f"People({sorted(self.names())}, bits={self.bitmap():#x})"
