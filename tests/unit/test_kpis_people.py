"""People counted once, whether they come as user IDs, person numbers or a bitmap."""

from __future__ import annotations

import random

import pytest

from bot.core.kpis.people import People


@pytest.mark.parametrize("seed", range(50))
def test_people_count_each_person_once_however_they_were_stored(seed):
    rng = random.Random(seed)
    users = [f"U{n:03d}" for n in range(60)]
    numbers = {u: n for n, u in enumerate(users) if n % 3}  # a third never got a number
    days = [rng.sample(users, rng.randint(0, 25)) for _ in range(7)]
    stored = []
    for day in days:
        as_people = People([day]).numbered(numbers)
        dense = rng.random() < 0.5  # as rollups store them: a list, or a bitmap when shorter
        numbered = as_people.numbers()
        bits = sum(1 << n for n in numbered) if dense else 0
        stored.append(People([as_people.names()], [] if dense else [numbered], bits))
    week = People.joined(stored)
    exact = {u for day in days for u in day}
    assert len(week) == len(exact)
    assert week == People([exact]).numbered(numbers)  # the same people, stored differently
    assert week.names() == {u for u in exact if u not in numbers}


def test_a_number_in_a_bitmap_and_in_a_list_is_one_person():
    both = People([], [[3, 5]], bits=(1 << 3) | (1 << 8))
    assert len(both) == 3 and both.numbers() == [3, 5, 8]
    assert len(both + People([["U1", "U1"]])) == 4
    assert People() == frozenset() and len(People()) == 0
