"""Composition root: the one place that assembles what the entry points run.

`sopbot run`, `sopbot worker`, the other CLI commands, the playground and the end-to-end tests
build everything through these functions and assemble nothing themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import UTC

from sqlalchemy.exc import IntegrityError

from bot import metrics
from bot.config import Settings
from bot.db import migrate, outbox
from bot.db.session import Database
from bot.jobs.context import JobContext
from bot.jobs.dispatcher import DeliveryLimits, Dispatcher
from bot.jobs.scheduler import Background, JobSpec, schedule
from bot.runtime import Clock, Runtime, utc_now
from bot.services import authoring
from bot.services.feedback import FeedbackRenderers
from bot.services.publish import PublishReport, publish_directory
from bot.slack.access import Access
from bot.slack.clients import ack_path_client, dispatcher_client, listener_client, quiet_client
from bot.slack.context import SlackContext
from bot.slack.guard.work_process import WorkProcess
from bot.slack.people import PeopleCache, SlackPeople
from bot.slack.renderers import build_renderers

log = logging.getLogger(__name__)


def open_database(settings: Settings, *, clock: Clock) -> Database:
    """Open DATABASE_URL and bring its schema up to date, so no one has to run a step first."""
    return migrate.open_current(settings.database_url, now=clock())


def build_runtime(settings: Settings, *, clock: Clock = utc_now) -> Runtime:
    """Open the database (migrating it) and assemble the runtime."""
    return Runtime(settings=settings, database=open_database(settings, clock=clock), clock=clock)


def build_slack(runtime: Runtime) -> SlackContext:
    """What the Slack listeners run with: clients, people, access, renderers, after-ack pool."""
    client = listener_client(runtime.settings)
    people = SlackPeople(quiet_client(client), cache=PeopleCache())
    return SlackContext(
        runtime=runtime,
        client=client,
        ack_client=ack_path_client(client),
        people=people,
        access=Access(runtime=runtime, client=client, people=people),
        renderers=build_renderers(),
        after_ack=WorkProcess(),
    )


def start_work_process(slack: SlackContext) -> bool:
    """Move the work after acks into a child process, when WORK_PROCESS says so (it must be
    called before any thread starts: see bot/slack/guard/work_process.py)."""
    settings = slack.runtime.settings
    if not settings.work_in_child:
        return False
    return slack.after_ack.start(
        slack, after_fork=slack.runtime.database.after_fork, grace=settings.shutdown_grace
    )


def build_job_context(runtime: Runtime) -> JobContext:
    """What the scheduled jobs run with: the listeners' kind of client and every renderer."""
    client = listener_client(runtime.settings)
    return JobContext(runtime=runtime, client=client, renderers=build_renderers())


def build_dispatcher(runtime: Runtime, *, limits: DeliveryLimits) -> Dispatcher:
    """The outbox dispatcher with its own client (no retries, a timeout under the lease)."""
    client = dispatcher_client(runtime.settings, call_timeout=limits.call_timeout())
    return Dispatcher(database=runtime.database, client=client, clock=runtime.clock, limits=limits)


def build_background(
    job: JobContext, *, jobs: Sequence[JobSpec], limits: DeliveryLimits | None = None
) -> Background:
    """The dispatcher plus `jobs` on a scheduler, not yet started (`with` starts and stops it)."""
    limits = limits or DeliveryLimits(per_minute=job.runtime.settings.outbox_per_minute)
    return Background(schedule(job, jobs=jobs), build_dispatcher(job.runtime, limits=limits))


def serve_metrics(runtime: Runtime) -> Callable[[], None]:
    """GET /metrics on METRICS_PORT, with this database's outbox; returns how to stop it."""
    port = runtime.settings.metrics_port
    if port is None:
        return lambda: None

    def probe() -> metrics.OutboxState:
        with runtime.database.session() as session:
            counts = outbox.counts_by_state(session)
            oldest = outbox.oldest_waiting(session)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)  # SQLite hands back naive UTC
        age = 0.0 if oldest is None else (runtime.clock() - oldest).total_seconds()
        return metrics.OutboxState(by_state=counts, oldest_waiting_seconds=max(0.0, age))

    metrics.watch_outbox(probe)
    return metrics.serve(port)


def publish_on_start(runtime: Runtime, *, renderers: FeedbackRenderers) -> PublishReport | None:
    """Publish SOPS_DIR so a restart after `git pull` serves the new SOPs; errors keep the old."""
    directory = runtime.settings.sops_dir
    if not directory.is_dir():
        log.warning("SOPS_DIR %s is not a folder; serving the SOPs already published", directory)
        return None
    with runtime.database.session() as session:
        # An edit from Slack whose revision committed but whose file was not yet replaced
        # (the process died in between): finish it, or the publish below would undo it.
        for slug in authoring.recover(session, directory=directory):
            log.warning("finished an interrupted edit of %s", slug)
    try:
        with runtime.database.session() as session:
            report = publish_directory(
                session, directory=directory, now=runtime.clock(), renderers=renderers
            )
    except IntegrityError:
        log.info("another sopbot process published %s at the same moment", directory)
        return None
    for error in report.errors:
        log.error("not published: %s", error)
    for outcome in report.new_revisions:
        log.info("published: %s", outcome.describe()[0].strip())
    return report
