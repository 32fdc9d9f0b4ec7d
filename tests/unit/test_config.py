"""Settings: defaults, parsing and one-line errors for bad values."""

from datetime import time

import pytest

from bot.config import ConfigError, Settings, parse_duration


def test_defaults_work_with_an_empty_environment():
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///sopbot.db"
    assert str(settings.sops_dir) == "sops"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.digest_time == time(9, 0)
    assert settings.digest_tz == "UTC"
    assert settings.admins == frozenset()
    assert settings.remind_after_seconds == 2 * 86400
    assert settings.outbox_per_minute is None  # auto: learnt from Slack's 429s
    assert settings.retention_days == 400
    assert settings.external_people == "listed"
    assert settings.slack_bot_token is None
    assert (settings.shutdown_grace, settings.metrics_port, settings.log_format) == (
        20,
        None,
        "text",
    )


def test_values_are_parsed():
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "SOPS_DIR": "/srv/sops",
            "SLACK_BOT_TOKEN": "xoxb-1-2",
            "SLACK_SIGNING_SECRET": "abc123def456",
            "SLACK_APP_TOKEN": "xapp-1-2",
            "SLACK_API_URL": "http://127.0.0.1:9999/api",
            "PORT": "8080",
            "MANAGER_CHANNEL": "C0123ABCD",
            "DIGEST_TIME": "7:30",
            "DIGEST_TZ": "Europe/Berlin",
            "SOPBOT_ADMINS": "U024BE7LH, W0ADMIN2",
            "REMIND_AFTER": "12h",
            "OUTBOX_PER_MINUTE": "120",
            "RETENTION_DAYS": "730",
            "EXTERNAL_PEOPLE": "Deny",
            "SHUTDOWN_GRACE": "45s",
            "METRICS_PORT": "9100",
            "LOG_FORMAT": "JSON",
        }
    )
    assert (settings.shutdown_grace, settings.metrics_port, settings.log_format) == (
        45,
        9100,
        "json",
    )
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    assert settings.port == 8080
    assert settings.digest_time == time(7, 30)
    assert settings.zone.key == "Europe/Berlin"
    assert settings.admins == {"U024BE7LH", "W0ADMIN2"}
    assert settings.remind_after_seconds == 12 * 3600
    assert settings.outbox_per_minute == 120
    assert settings.retention_days == 730
    assert settings.external_people == "deny"


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("DIGEST_TZ", "Mars/Base", "DIGEST_TZ='Mars/Base' is not a time zone"),
        ("DIGEST_TIME", "25:00", "DIGEST_TIME='25:00'"),
        ("DIGEST_TIME", "nine", "use HH:MM"),
        ("PORT", "http", "PORT='http'"),
        ("PORT", "70000", "PORT='70000'"),
        ("REMIND_AFTER", "soon", "REMIND_AFTER='soon'"),
        ("REMIND_AFTER", "0d", "REMIND_AFTER='0d'"),
        ("MANAGER_CHANNEL", "#ops-managers", "not a channel ID"),
        ("SOPBOT_ADMINS", "U024BE7LH,@sam", "'@sam'"),
        ("SLACK_BOT_TOKEN", "xapp-wrong", "SLACK_BOT_TOKEN must start with 'xoxb-'"),
        ("SLACK_APP_TOKEN", "xoxb-wrong", "SLACK_APP_TOKEN must start with 'xapp-'"),
        ("SLACK_SIGNING_SECRET", "not a secret!", "SLACK_SIGNING_SECRET"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL"),
        ("OUTBOX_PER_MINUTE", "fast", "OUTBOX_PER_MINUTE='fast' is not a rate"),
        ("OUTBOX_PER_MINUTE", "0", "OUTBOX_PER_MINUTE='0'"),
        ("RETENTION_DAYS", "1y", "RETENTION_DAYS='1y' is not a number of days"),
        ("RETENTION_DAYS", "30", "at least 90"),
        ("EXTERNAL_PEOPLE", "guests", "EXTERNAL_PEOPLE='guests' is not a policy"),
        ("SHUTDOWN_GRACE", "0", "SHUTDOWN_GRACE='0' is not a grace period"),
        ("SHUTDOWN_GRACE", "soon", "SHUTDOWN_GRACE='soon'"),
        ("METRICS_PORT", "3000", "METRICS_PORT=3000 is the Slack port"),
        ("METRICS_PORT", "x", "METRICS_PORT='x' is not a TCP port"),
        ("LOG_FORMAT", "xml", "LOG_FORMAT='xml' is not a log format"),
        ("WORK_PROCESS", "sometimes", "WORK_PROCESS='sometimes' is not a switch; use auto"),
    ],
)
def test_bad_values_raise_one_line_naming_the_variable(name, value, fragment):
    with pytest.raises(ConfigError) as excinfo:
        Settings.from_env({name: value})
    message = str(excinfo.value)
    assert fragment in message
    assert name in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("90m", 5400), ("2d", 172800), ("1w", 604800)]
)
def test_durations(text, seconds):
    assert parse_duration(text, name="X") == seconds


def test_blank_values_mean_default():
    assert Settings.from_env({"PORT": "  ", "DIGEST_TZ": ""}).port == 3000


def test_git_settings_are_off_by_default_and_parsed():
    assert Settings.from_env({}).sops_git_push is False
    assert Settings.from_env({}).sops_git_pull_every_seconds is None
    env = {"SOPS_GIT_PUSH": "1", "SOPS_GIT_PULL_EVERY": "5m"}
    settings = Settings.from_env(env)
    assert settings.sops_git_push and settings.sops_git_pull_every_seconds == 300
    assert Settings.from_env({"SOPS_GIT_PULL_EVERY": "off"}).sops_git_pull_every_seconds is None
    with pytest.raises(ConfigError, match="SOPS_GIT_PUSH"):
        Settings.from_env({"SOPS_GIT_PUSH": "maybe"})
    with pytest.raises(ConfigError, match="SOPS_GIT_PULL_EVERY"):
        Settings.from_env({"SOPS_GIT_PULL_EVERY": "often"})


@pytest.mark.parametrize(("value", "parsed"), [("auto", None), ("1", True), ("off", False)])
def test_work_process_is_a_switch_or_auto(value, parsed):
    assert Settings.from_env({"WORK_PROCESS": value}).work_process is parsed


def test_work_process_auto_means_a_child_only_with_two_cores(monkeypatch):
    auto = Settings()
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0})
    assert auto.work_in_child is False
    assert Settings(work_process=True).work_in_child is True
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1})
    assert auto.work_in_child is True
    assert Settings(work_process=False).work_in_child is False
