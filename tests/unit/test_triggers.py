"""Scheduled jobs fall due by the clock their scheduler is asked at, never by the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.jobs.scheduler import STANDARD_JOBS
from bot.jobs.triggers import Every

# Far from any real date in both directions: a trigger that reads the wall clock shows up here.
MOMENTS = [datetime(2001, 3, 3, 23, 30, tzinfo=UTC), datetime(2091, 12, 31, 23, 30, tzinfo=UTC)]


@pytest.mark.parametrize("now", MOMENTS)
@pytest.mark.parametrize("job", STANDARD_JOBS, ids=lambda job: job.id)
def test_every_standard_job_first_falls_due_within_its_interval_of_now(job, now):
    first = job.trigger.get_next_fire_time(None, now)
    interval = getattr(job.trigger, "interval", timedelta(hours=1))  # cron jobs: hourly at most
    assert now <= first <= now + interval
    assert first < job.trigger.get_next_fire_time(first, first) <= first + interval


def test_every_fires_at_start_only_when_asked():
    now = MOMENTS[0]
    assert Every(timedelta(minutes=10), at_start=True).get_next_fire_time(None, now) == now
    assert Every(timedelta(minutes=10)).get_next_fire_time(None, now) == now + timedelta(minutes=10)
    with pytest.raises(ValueError, match="positive"):
        Every(timedelta(0))
