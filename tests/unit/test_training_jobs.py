"""The training jobs are scheduled: the audience pass at start-up and daily, reminders often."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.jobs import training
from bot.jobs.scheduler import STANDARD_JOBS

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_the_audience_pass_fires_at_start_then_daily():
    trigger = training.ASSIGN_TRIGGER
    assert trigger.get_next_fire_time(None, NOW) == NOW
    assert trigger.get_next_fire_time(NOW, NOW + timedelta(seconds=5)) == NOW + timedelta(days=1)


def test_both_training_jobs_are_standard_jobs():
    jobs = {job.id: job for job in STANDARD_JOBS}
    assert jobs["training-assign"].run is training.assign_job
    assert jobs["training-remind"].run is training.remind_job
    assert jobs["training-remind"].trigger.interval <= timedelta(minutes=15)
