"""`schedule:`, `timezone:`, `due:` and `managers:`: parsing, errors and when runs fall due."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.core.diff import content_fingerprint
from bot.core.model import Sop
from bot.core.parse import parse_sop
from bot.core.schedule import local_moment, parse_entry

STEPS = "# Close the till\n\n## Steps\n### Count the cash\nCount it.\n"
BERLIN = ZoneInfo("Europe/Berlin")


def parse(front: str) -> tuple[Sop | None, list[str]]:
    sop, errors = parse_sop(f"---\n{front}\n---\n{STEPS}", path="till.md", default_slug="till")
    return sop, [str(e) for e in errors]


@pytest.mark.parametrize(
    ("text", "weekdays", "at", "channel"),
    [
        ("weekdays 21:00 #store-42", {0, 1, 2, 3, 4}, time(21, 0), "#store-42"),
        ("mon,thu 09:30 #support", {0, 3}, time(9, 30), "#support"),
        ("every day 08:00 #openers", set(range(7)), time(8, 0), "#openers"),
        ("weekends 7:05 C024BE91L", {5, 6}, time(7, 5), "C024BE91L"),
        ("fri-mon 23:59 #late", {4, 5, 6, 0}, time(23, 59), "#late"),
    ],
)
def test_good_entries(text, weekdays, at, channel):
    entry = parse_entry(text)
    assert entry is not None
    assert (set(entry.weekdays), entry.at, entry.channel) == (weekdays, at, channel)


@pytest.mark.parametrize(
    "text", ["weekday 21:00 #x", "mon 25:00 #x", "mon 21:00", "mon 21:00 store", "21:00 #x", ""]
)
def test_bad_entries(text):
    assert parse_entry(text) is None


def test_front_matter_reads_all_four_and_defaults():
    sop, errors = parse(
        'schedule: ["weekdays 21:00 #store-42", "sat 18:00 #store-42"]\n'
        'timezone: Europe/Berlin\ndue: 30m\nmanagers: "#store-managers"'
    )
    assert errors == []
    assert sop is not None
    assert sop.schedule == ("weekdays 21:00 #store-42", "sat 18:00 #store-42")
    assert (sop.timezone, sop.due_minutes, sop.managers) == ("Europe/Berlin", 30, "#store-managers")
    assert Sop.from_dict(sop.to_dict()) == sop
    plain, _ = parse("title: Close the till")
    assert plain is not None and (plain.timezone, plain.due_minutes, plain.managers) == (
        None,
        60,
        None,
    )


def test_bad_entries_are_file_line_errors_with_an_example():
    _, errors = parse(
        'owner: U024BE7LH\nschedule:\n  - "weekdays 21:00 #store-42"\n  - "weekday 9 #x"'
    )
    assert len(errors) == 1
    assert errors[0].startswith("till.md:5: schedule entry 'weekday 9 #x'")
    assert '"weekdays 21:00 #store-42"' in errors[0]


@pytest.mark.parametrize(
    ("front", "line", "words"),
    [
        ("timezone: Mars/Olympus", 2, "IANA zone"),
        ("due: soon", 2, "30m, 1h or 1d"),
        ("managers: store-managers", 2, "#store-managers"),
    ],
)
def test_bad_timezone_due_managers(front, line, words):
    _, errors = parse(front)
    assert len(errors) == 1 and errors[0].startswith(f"till.md:{line}:") and words in errors[0]


def test_an_sop_without_a_schedule_keeps_its_stored_content_and_fingerprint():
    sop, _ = parse("title: Close the till")
    assert sop is not None
    assert not {"schedule", "timezone", "due_minutes", "managers"} & set(sop.to_dict())
    old = sop.to_dict()  # as stored before this feature
    assert content_fingerprint(Sop.from_dict(old)) == content_fingerprint(sop)


def test_occurrences_in_a_window_in_the_sops_zone():
    entry = parse_entry("weekdays 21:00 #store-42")
    assert entry is not None
    after = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # a Friday
    until = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # the Tuesday after
    got = list(entry.occurrences(BERLIN, after=after, until=until))
    assert got == [
        datetime(2026, 12, 4, 20, 0, tzinfo=UTC),  # Friday 21:00 CET
        datetime(2026, 12, 7, 20, 0, tzinfo=UTC),  # Monday; no weekend
    ]


def test_dst_change_keeps_the_local_time_and_fires_once_a_day():
    entry = parse_entry("every day 21:00 #store-42")
    assert entry is not None
    # Berlin moves to summer time on 2026-03-29: 21:00 is 20:00 UTC before, 19:00 UTC after.
    got = list(
        entry.occurrences(
            BERLIN,
            after=datetime(2026, 3, 27, 22, 0, tzinfo=UTC),
            until=datetime(2026, 3, 30, 22, 0, tzinfo=UTC),
        )
    )
    assert got == [
        datetime(2026, 3, 28, 20, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 19, 0, tzinfo=UTC),
        datetime(2026, 3, 30, 19, 0, tzinfo=UTC),
    ]


def test_a_time_skipped_or_repeated_by_dst_happens_exactly_once():
    # 02:30 does not exist on 2026-03-29 in Berlin: it falls just after the gap (03:30 CEST).
    spring = local_moment(datetime(2026, 3, 29).date(), time(2, 30), BERLIN)
    assert spring == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 02:30 happens twice on 2026-10-25: the first one (CEST) counts.
    autumn = local_moment(datetime(2026, 10, 25).date(), time(2, 30), BERLIN)
    assert autumn == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    entry = parse_entry("every day 02:30 #night")
    assert entry is not None
    around = entry.occurrences(
        BERLIN,
        after=datetime(2026, 10, 24, 12, 0, tzinfo=UTC),
        until=datetime(2026, 10, 26, 12, 0, tzinfo=UTC),
    )
    assert list(around) == [autumn, datetime(2026, 10, 26, 1, 30, tzinfo=UTC)]
