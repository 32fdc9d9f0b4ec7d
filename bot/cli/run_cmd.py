"""`sopbot run`: serve the bot over HTTP on PORT, or over Socket Mode."""

from __future__ import annotations

import argparse
import gc
import logging

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError

from bot.cli.errors import UsageError
from bot.cli.stopping import StopSignal, deadline_after, exit_now_if, remaining
from bot.config import MANIFEST_HINT, Settings
from bot.db import served
from bot.memory import limit_malloc_arenas, release_freed_memory
from bot.runtime import Clock, Runtime

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `run` sub-command."""
    run = commands.add_parser("run")
    run.add_argument("--host", default="0.0.0.0", help="address to listen on (HTTP mode)")
    run.add_argument(
        "--no-worker",
        action="store_true",
        help="serve requests only; leave the outbox and scheduled jobs to `sopbot worker`",
    )
    run.set_defaults(handler=run_bot)


def check_credentials(settings: Settings) -> None:
    """Refuse to start without the values Slack needs, naming the one that is missing."""
    check_bot_token(settings)
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise UsageError(
            "SLACK_SIGNING_SECRET is not set: put it in .env (Basic Information > App "
            "Credentials of your Slack app), or set SLACK_APP_TOKEN to use Socket Mode"
        )


def check_bot_token(settings: Settings) -> None:
    """Refuse to start without SLACK_BOT_TOKEN (all that `sopbot worker` needs)."""
    if not settings.slack_bot_token:
        raise UsageError(
            "SLACK_BOT_TOKEN is not set: put it in .env (the Bot User OAuth Token, xoxb-..., "
            f"under OAuth & Permissions after you {MANIFEST_HINT})"
        )


def mark_real_slack(runtime: Runtime) -> None:
    """Record that this database serves a real Slack, so `sopbot play` refuses it."""
    with runtime.database.session() as session:
        served.mark(session, what=served.REAL_SLACK, now=runtime.clock())


def freeze_start_up() -> None:
    """Leave what start-up made (modules, models, the catalog) out of every later collection.

    They live as long as the process, yet the cyclic collector walked all ~120,000 of them in
    each full collection: a ~100 ms pause of every thread, acks included, a few times a minute
    under load (bench/request_profile.py --gc).
    """
    gc.collect()
    gc.freeze()
    release_freed_memory()


def run_bot(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Serve until SIGTERM or SIGINT, then stop gracefully; without a bot token, the playground.

    Stopping: no new connections; requests in hand are answered, after-ack work finishes (or
    its person is told to try again) and leased outbox rows go back, all within SHUTDOWN_GRACE.
    """
    limit_malloc_arenas()
    try:
        check_credentials(settings)
    except UsageError as exc:
        if settings.slack_bot_token:
            raise
        from bot.cli.play_cmd import play_instead

        return play_instead(settings, reason=str(exc), start=clock())
    from bot.jobs.scheduler import STANDARD_JOBS
    from bot.slack.app import build_app
    from bot.web import HttpServer, wsgi_app
    from bot.wiring import (
        build_background,
        build_job_context,
        build_runtime,
        build_slack,
        publish_on_start,
        serve_metrics,
        start_work_process,
    )

    runtime = build_runtime(settings, clock=clock)
    slack = build_slack(runtime)
    publish_on_start(runtime, renderers=slack.renderers.feedback)
    with runtime.database.session() as session:
        runtime.catalog.snapshot(session)  # the search index now, not in the first /sop
    try:
        app, workers = build_app(slack)
    except (BoltError, SlackApiError) as exc:
        raise UsageError(
            f"Slack refused SLACK_BOT_TOKEN ({exc}); copy it again from your app's "
            "OAuth & Permissions page"
        ) from None
    mark_real_slack(runtime)
    job = build_job_context(runtime)
    background = None if args.no_worker else build_background(job, jobs=STANDARD_JOBS)
    # Built before the fork, so the work process shares it: what this process allocates after
    # the fork lands in pages the two still share and copies them (wsgi_app reads every
    # migration script: 16 MB of copies when it came after).
    # check_credentials made sure HTTP mode has a signing secret.
    secret = settings.slack_signing_secret or ""
    application = (
        None if settings.slack_app_token else wsgi_app(app, runtime.database, signing_secret=secret)
    )
    freeze_start_up()
    # Before any thread starts: a fork copies no thread, only the locks one might hold.
    start_work_process(slack)
    stop = StopSignal()
    stop_metrics = serve_metrics(runtime)
    if settings.slack_app_token:
        handler = _connect_socket_mode(app, settings.slack_app_token)
    else:
        assert application is not None
        server = HttpServer(application, host=args.host, port=settings.port)
        log.info("sopbot serving %s/slack/events", server.url)
        server.start()
    if background is not None:
        background.start()
    stop.wait()
    grace = settings.shutdown_grace
    log.info("sopbot stopping (%s; grace %gs)", stop.received or "stop", grace)
    deadline = deadline_after(grace)
    if settings.slack_app_token:
        handler.close()
    else:
        server.stop(drain=remaining(deadline))
    drained = workers.drain(deadline=deadline)
    log.info(
        "after-ack work: %d finished, %d handed back, %d still running",
        drained.finished,
        drained.handed_back,
        drained.still_running,
    )
    finished = background.stop(timeout=remaining(deadline)) if background is not None else True
    stop_metrics()
    runtime.database.dispose()
    log.info("sopbot stopped")
    exit_now_if(drained.still_running > 0 or not finished)
    return 0


def _connect_socket_mode(app: object, app_token: str):  # -> SocketModeHandler
    """Open the Socket Mode connection (a refused token is one line, exit 2)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log.info("sopbot connecting to Slack in Socket Mode")
    handler = SocketModeHandler(app, app_token)
    try:
        handler.connect()
    except SlackApiError as exc:
        raise UsageError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}); create an "
            "app-level token with the connections:write scope under Basic Information > "
            "App-Level Tokens (see deploy/slack-app-manifest.socket-mode.yml)"
        ) from None
    return handler
