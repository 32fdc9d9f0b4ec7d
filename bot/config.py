"""One frozen Settings object, read once from the environment and validated."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
# /sop kpis 30d compares with the 30 days before: raw records must outlive 62 days, with room.
MIN_RETENTION_DAYS = 90
MANIFEST_HINT = "create the Slack app from deploy/slack-app-manifest.yml"
LogFormat = Literal["text", "json"]
ExternalPeople = Literal["deny", "listed", "allow"]
EXTERNAL_PEOPLE: tuple[ExternalPeople, ...] = ("deny", "listed", "allow")


class ConfigError(ValueError):
    """A bad configuration value; the message is one line naming the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    """Everything sopbot reads from its environment."""

    database_url: str = "sqlite:///sopbot.db"
    sops_dir: Path = Path("sops")
    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    manager_channel: str | None = None
    digest_time: time = time(9, 0)
    digest_tz: str = "UTC"
    admins: frozenset[str] = field(default_factory=frozenset)
    remind_after_seconds: int = 2 * 86400
    # chat.postMessage budget per workspace, all processes; None (OUTBOX_PER_MINUTE=auto): learn it
    outbox_per_minute: float | None = None
    retention_days: int = 400  # search text, who ran what: anonymised after this many days
    external_people: ExternalPeople = "listed"  # guests, other organisations (services/access)
    sops_git_push: bool = False  # push each commit made from Slack to the branch's upstream
    sops_git_pull_every_seconds: int | None = None  # fast-forward SOPS_DIR from its upstream
    shutdown_grace: float = 20.0  # seconds SIGTERM leaves in-flight work to finish
    metrics_port: int | None = None  # GET /metrics on its own port; None: not served
    log_format: LogFormat = "text"
    # After-ack work in a child process of `sopbot run`; None (WORK_PROCESS=auto): with 2+ cores
    work_process: bool | None = None

    @property
    def work_in_child(self) -> bool:
        """Whether `sopbot run` forks a child for the work after its acks."""
        if self.work_process is not None:
            return self.work_process
        return len(os.sched_getaffinity(0)) >= 2 if hasattr(os, "sched_getaffinity") else False

    @property
    def zone(self) -> ZoneInfo:
        """The digest time zone."""
        return ZoneInfo(self.digest_tz)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build Settings from `env` (default: os.environ); raise ConfigError on a bad value."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        return cls(
            database_url=get("DATABASE_URL") or cls.database_url,
            sops_dir=Path(get("SOPS_DIR") or "sops"),
            slack_bot_token=_token(get("SLACK_BOT_TOKEN"), "SLACK_BOT_TOKEN", "xoxb-"),
            slack_signing_secret=_secret(get("SLACK_SIGNING_SECRET")),
            slack_app_token=_token(get("SLACK_APP_TOKEN"), "SLACK_APP_TOKEN", "xapp-"),
            slack_api_url=_api_url(get("SLACK_API_URL") or DEFAULT_SLACK_API_URL),
            port=_port(get("PORT") or "3000"),
            manager_channel=_channel(get("MANAGER_CHANNEL")),
            digest_time=_clock_time(get("DIGEST_TIME") or "09:00"),
            digest_tz=_zone(get("DIGEST_TZ") or "UTC"),
            admins=_user_ids(get("SOPBOT_ADMINS") or ""),
            remind_after_seconds=parse_duration(get("REMIND_AFTER") or "2d", name="REMIND_AFTER"),
            outbox_per_minute=_per_minute(get("OUTBOX_PER_MINUTE") or "auto"),
            retention_days=_retention(get("RETENTION_DAYS") or "400"),
            external_people=_external_people(get("EXTERNAL_PEOPLE") or "listed"),
            sops_git_push=_flag(get("SOPS_GIT_PUSH"), "SOPS_GIT_PUSH"),
            sops_git_pull_every_seconds=(
                parse_duration(pull, name="SOPS_GIT_PULL_EVERY")
                if (pull := get("SOPS_GIT_PULL_EVERY")) and pull.lower() != "off"
                else None
            ),
            shutdown_grace=_grace(get("SHUTDOWN_GRACE") or "20"),
            metrics_port=_metrics_port(get("METRICS_PORT"), port=get("PORT") or "3000"),
            log_format=_log_format(get("LOG_FORMAT") or "text"),
            work_process=_auto_flag(get("WORK_PROCESS"), "WORK_PROCESS"),
        )


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: str, *, name: str) -> int:
    """Parse `90m`, `12h`, `2d`, `1w` into seconds."""
    match = _DURATION.match(value)
    if not match or int(match[1]) == 0:
        raise ConfigError(f"{name}={value!r} is not a duration; use e.g. 12h, 2d or 1w")
    return int(match[1]) * _UNIT_SECONDS[match[2]]


def _flag(value: str | None, name: str) -> bool:
    if value is None or value.lower() in ("0", "false", "no", "off"):
        return False
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name}={value!r} is not a switch; use 1 (on) or 0 (off)")


def _auto_flag(value: str | None, name: str) -> bool | None:
    if value is None or value.lower() == "auto":
        return None
    try:
        return _flag(value, name)
    except ConfigError:
        raise ConfigError(
            f"{name}={value!r} is not a switch; use auto, 1 (on) or 0 (off)"
        ) from None


def _token(value: str | None, name: str, prefix: str) -> str | None:
    if value is not None and not value.startswith(prefix):
        raise ConfigError(
            f"{name} must start with {prefix!r}; copy it from your Slack app's settings "
            f"({MANIFEST_HINT})"
        )
    return value


def _secret(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[0-9A-Za-z]{8,}", value):
        raise ConfigError(
            "SLACK_SIGNING_SECRET looks wrong (expected letters and digits); copy it from "
            "Basic Information > App Credentials of your Slack app"
        )
    return value


def _api_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ConfigError(f"SLACK_API_URL={value!r} is not an http(s) URL")
    return value if value.endswith("/") else value + "/"


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"PORT={value!r} is not a TCP port; use a number from 1 to 65535")
    return int(value)


def _per_minute(value: str) -> float | None:
    if value.strip().lower() == "auto":
        return None
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number <= 6000:
        raise ConfigError(
            f"OUTBOX_PER_MINUTE={value!r} is not a rate; use messages a minute, e.g. 50 "
            "(Slack allows about one a second per channel), or auto to learn Slack's pace"
        )
    return number


def _retention(value: str) -> int:
    if not value.isdigit() or int(value) < MIN_RETENTION_DAYS:
        raise ConfigError(
            f"RETENTION_DAYS={value!r} is not a number of days of at least {MIN_RETENTION_DAYS}"
            " (the KPIs compare the last 30 days with the 30 before); the default is 400"
        )
    return int(value)


def _external_people(value: str) -> ExternalPeople:
    for policy in EXTERNAL_PEOPLE:
        if value.lower() == policy:
            return policy
    raise ConfigError(
        f"EXTERNAL_PEOPLE={value!r} is not a policy; use deny, listed or allow "
        "(what guests and people from other organisations may see)"
    )


def _channel(value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"[CGD][A-Z0-9]{2,}", value):
        raise ConfigError(
            f"MANAGER_CHANNEL={value!r} is not a channel ID; use the ID (e.g. C0123ABCD) from "
            "the channel's details, not its name"
        )
    return value


def _clock_time(value: str) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ConfigError(f"DIGEST_TIME={value!r} is not a time of day; use HH:MM, e.g. 09:00")
    return time(int(match[1]), int(match[2]))


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"DIGEST_TZ={value!r} is not a time zone; use an IANA name such as Europe/Berlin"
        ) from None
    return value


def _user_ids(value: str) -> frozenset[str]:
    ids = [part.strip() for part in value.split(",") if part.strip()]
    bad = [i for i in ids if not re.fullmatch(r"[UW][A-Z0-9]{2,}", i)]
    if bad:
        raise ConfigError(
            f"SOPBOT_ADMINS has {bad[0]!r}, which is not a Slack user ID (e.g. U024BE7LH); "
            "separate IDs with commas"
        )
    return frozenset(ids)


def _grace(value: str) -> float:
    seconds = int(value) if value.isdigit() else None
    if seconds is None and _DURATION.match(value):
        seconds = parse_duration(value, name="SHUTDOWN_GRACE")
    if seconds is None or not 1 <= seconds <= 3600:
        raise ConfigError(
            f"SHUTDOWN_GRACE={value!r} is not a grace period; use seconds from 1 to 3600, "
            "e.g. 20 (keep it under your orchestrator's kill timeout)"
        )
    return float(seconds)


def _metrics_port(value: str | None, *, port: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(f"METRICS_PORT={value!r} is not a TCP port; use a number from 1 to 65535")
    if value == port:
        raise ConfigError(
            f"METRICS_PORT={value} is the Slack port (PORT); give /metrics a port of its own, "
            "reachable only by your Prometheus"
        )
    return int(value)


def _log_format(value: str) -> LogFormat:
    if value.lower() in ("text", "json"):
        return "json" if value.lower() == "json" else "text"
    raise ConfigError(f"LOG_FORMAT={value!r} is not a log format; use text or json")
