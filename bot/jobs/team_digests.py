"""Each `managers:` channel's daily digest of only its SOPs, under the digest's exactly-once rules.

MANAGER_CHANNEL (or the channel set with /sop config) keeps the overview of every SOP.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from bot.db import team_digests as store
from bot.db.sops import default_workspace
from bot.jobs.context import JobContext
from bot.jobs.digest import WHO, roll_up
from bot.jobs.managers import Channels
from bot.jobs.triggers import Every
from bot.services import digest as digests
from bot.services import digest_config, team_digests
from bot.services.digest_config import DigestConfig

log = logging.getLogger(__name__)


def tick(job: JobContext) -> list[str]:
    """Send each managers channel's digest once its time has come; says what happened."""
    runtime = job.runtime
    now = runtime.clock()
    with runtime.database.session() as session:
        workspace = default_workspace(session)
        workspace_id = workspace.id
        channels = team_digests.managers_channels(runtime.catalog.snapshot(session).entries)
        installed = digests.installed_at(session, workspace_id=workspace_id)
        overview = digest_config.load(session, settings=runtime.settings, workspace=workspace)
    if not channels or installed is None:
        return []
    resolve = Channels(job)
    done: list[str] = []
    rolled = False
    for written, slugs in sorted(channels.items()):
        channel_id = resolve(written)
        if channel_id is None or channel_id == overview.channel:
            continue  # the overview there already covers these SOPs
        with runtime.database.session() as session:
            config = team_digests.load(
                session, settings=runtime.settings, workspace=default_workspace(session),
                channel_id=channel_id,
            )  # fmt: skip
        for posting_day in digest_config.posting_days(config, now):
            due = config.due_at(posting_day)
            day = posting_day - timedelta(days=1)
            if now < due or posting_day.weekday() not in config.weekdays or installed > due:
                continue
            with runtime.database.session() as session:
                if store.claimed(
                    session, workspace_id=workspace_id, channel_id=channel_id, day=day
                ):
                    continue
                if now >= due + digests.GRACE:
                    if team_digests.skip(
                        session, workspace_id=workspace_id, channel_id=channel_id, day=day,
                        status=store.SKIPPED_LATE, now=now, by=WHO,
                    ):  # fmt: skip
                        log.warning("digest of %s for %s not sent: too late", channel_id, day)
                    continue
            if not rolled:
                roll_up(runtime)
                rolled = True
            done.append(f"{channel_id}:{day}:{_send(job, workspace_id, config, day, slugs)}")
    return done


def _send(
    job: JobContext, workspace_id: int, config: DigestConfig, day: date, slugs: frozenset[str]
) -> str:
    """Build the channel's digest of `day` from its SOPs only, claim it and queue it."""
    assert config.channel is not None
    runtime = job.runtime
    now = runtime.clock()
    with runtime.database.session() as session:
        result = digests.report(
            session, workspace_id=workspace_id, day=day, tz=config.zone, now=now, slugs=slugs
        )
    with runtime.database.session() as session:
        if result.empty and config.skip_empty:
            team_digests.skip(
                session, workspace_id=workspace_id, channel_id=config.channel, day=day,
                status=store.SKIPPED_EMPTY, now=now, by=WHO,
            )  # fmt: skip
            return "quiet"
        claimed = team_digests.queue(
            session, workspace_id=workspace_id, channel_id=config.channel, result=result,
            now=now, by=WHO, render=job.renderers.digest,
        )  # fmt: skip
    return "sent" if claimed else "taken"


def team_digests_job(job: JobContext) -> None:
    """The every-minute managers-channel digest tick (a JobSpec in STANDARD_JOBS)."""
    tick(job)


TICK_TRIGGER = Every(timedelta(minutes=1), at_start=True)
