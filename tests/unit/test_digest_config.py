"""Digest settings: parsing with clear errors, due times across DST, and `/sop kpis` arguments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.config import Settings
from bot.services.digest_config import ConfigProblem, DigestConfig, defaults, parse, posting_days
from bot.slack.kpis.answers import parse_kpis

BASE = DigestConfig("C0123ABCD", time(9, 0), "Europe/Berlin")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 28), datetime(2026, 3, 28, 8, 0, tzinfo=UTC)),  # CET
        (date(2026, 3, 29), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),  # the 23-hour day
        (date(2026, 10, 25), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),  # the 25-hour day
    ],
)
def test_due_times_follow_the_zone_across_dst(day, expected):
    assert BASE.due_at(day) == expected


def test_a_time_the_clocks_skip_lands_in_the_hour_after_the_jump():
    skipped = DigestConfig(None, time(2, 30), "Europe/Berlin")
    assert skipped.due_at(date(2026, 3, 29)) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_posting_days_are_yesterday_and_today_in_the_zone():
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Berlin
    assert posting_days(BASE, late) == [date(2026, 12, 1), date(2026, 12, 2)]


def test_environment_values_are_the_defaults_and_stored_values_override_them():
    settings = Settings(manager_channel="C0ENV0001", digest_time=time(7, 45), digest_tz="UTC")
    base = defaults(settings)
    assert base == DigestConfig("C0ENV0001", time(7, 45), "UTC")
    stored = parse({"time": "10:30", "weekdays": [0, 1, 2, 3, 4], "skip_empty": True}, base)
    assert (stored.channel, stored.at, stored.tz) == ("C0ENV0001", time(10, 30), "UTC")
    assert stored.weekdays == frozenset(range(5)) and stored.skip_empty
    assert "Mon, Tue, Wed, Thu, Fri, quiet days skipped" in stored.describe()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"channel": "U0PERSON1"}, "channel", "Pick a channel"),
        ({"time": "25:00"}, "time", "09:00"),
        ({"tz": "Mars/Olympus"}, "tz", "not a time zone"),
        ({"weekdays": []}, "weekdays", "at least one day"),
    ],
)
def test_bad_values_name_the_field_and_the_fix(values, field, message):
    with pytest.raises(ConfigProblem) as raised:
        parse(values, BASE)
    assert raised.value.field == field and message in str(raised.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ("", 7)),
        ("refund", ("refund", 7)),
        ("refund request 30d", ("refund request", 30)),
        ("7D", ("", 7)),
        ("refund 9d", "Use 7d or 30d, as in /sop kpis refund 30d."),
    ],
)
def test_sop_kpis_arguments(text, expected):
    assert parse_kpis(text) == expected
