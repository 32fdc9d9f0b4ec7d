"""What `sopbot sops check` and `publish` say about each SOP's cast: who it names, and who not."""

from __future__ import annotations

from collections.abc import Sequence

from bot.clock import Clock
from bot.config import Settings
from bot.core.model import Sop
from bot.db.session import Database


def check_after_parse(settings: Settings, sops: Sequence[Sop]) -> None:
    """Print cast entries that name nobody (asked of Slack when a token is set; nothing stored)."""
    if not any(sop.cast for sop in sops):
        return
    if not settings.slack_bot_token:
        print("cast: not checked against Slack (set SLACK_BOT_TOKEN to see who each role names)")
        return
    from slack_sdk.errors import SlackApiError  # with a token only: Slack's library is needed

    from bot.jobs.cast import check_cast
    from bot.slack.clients import listener_client

    try:
        reports = check_cast(listener_client(settings), sops, policy=settings.external_people)
    except (SlackApiError, OSError) as exc:
        print(f"cast: not checked now ({exc})")
        return
    for report in reports:
        print("\n".join(report.lines()))


def refresh_after_publish(settings: Settings, database: Database, *, clock: Clock) -> None:
    """Resolve and store every live SOP's cast, printing entries that name nobody."""
    if not settings.slack_bot_token:
        return  # `sopbot run` resolves it at start-up
    from slack_sdk.errors import SlackApiError  # with a token only: Slack's library is needed

    from bot.jobs.cast import refresh_cast
    from bot.runtime import Runtime
    from bot.wiring import build_job_context

    runtime = Runtime(settings=settings, database=database, clock=clock)
    try:
        reports = refresh_cast(build_job_context(runtime))
    except (SlackApiError, OSError) as exc:
        print(f"cast: not resolved now ({exc}); `sopbot run` resolves it at start-up")
        return
    for report in reports:
        print("\n".join(report.lines()))
