"""OUTBOX_PER_MINUTE sets the delivery budget of `sopbot run` and is `sopbot worker`'s default."""

from __future__ import annotations

import argparse

from bot.cli import worker_cmd
from bot.config import Settings
from bot.runtime import Runtime
from bot.wiring import build_background, build_job_context


class Database:
    """build_background only hands the database on; nothing here opens it."""


def test_the_scheduler_sends_at_the_configured_rate():
    settings = Settings(slack_bot_token="xoxb-1-2", outbox_per_minute=120)
    runtime = Runtime(settings=settings, database=Database())
    background = build_background(build_job_context(runtime), jobs=[])
    assert background.dispatcher.limits.per_minute == 120


def test_the_worker_flag_wins_and_the_setting_is_its_default():
    parser = argparse.ArgumentParser()
    worker_cmd.register(parser.add_subparsers())
    assert parser.parse_args(["worker"]).per_minute is None  # then OUTBOX_PER_MINUTE applies
    assert parser.parse_args(["worker", "--per-minute", "30"]).per_minute == 30


def test_auto_learns_the_pace_from_the_setting_or_the_flag():
    parser = argparse.ArgumentParser()
    worker_cmd.register(parser.add_subparsers())
    assert parser.parse_args(["worker", "--per-minute", "auto"]).per_minute == "auto"
    assert worker_cmd._chosen_pace("auto", Settings(outbox_per_minute=50)) is None
    assert worker_cmd._chosen_pace(None, Settings(outbox_per_minute=None)) is None
    assert worker_cmd._chosen_pace(30.0, Settings(outbox_per_minute=None)) == 30
    runtime = Runtime(
        settings=Settings(slack_bot_token="x", outbox_per_minute=None), database=Database()
    )
    background = build_background(build_job_context(runtime), jobs=[])
    assert background.dispatcher.limits.post_rate().adaptive
