"""Builds the bolt App: signature checks, request gates, middleware, a register() per feature."""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot import logs, metrics
from bot.db.events import claim_event
from bot.db.session import is_unavailable
from bot.slack import authoring, feedback, home, kpis, lookup, recording, runs, training
from bot.slack.context import SlackContext
from bot.slack.guard import gates, log_redaction, request_limits
from bot.slack.guard.after_ack import Workers, error_notice
from bot.slack.guard.response_urls import Responder
from bot.slack.guard.unavailable import database_notice
from bot.threads import LISTENER_THREADS

log = logging.getLogger(__name__)
# Each feature folder has a register(app, ctx) that attaches its listeners.
FEATURES = (lookup, runs, training, feedback, kpis, authoring, recording, home)


def build_app(
    ctx: SlackContext, *, throttle: request_limits.Throttle | None = None
) -> tuple[App, Workers]:
    """The whole Slack app, ready to be served over HTTP or Socket Mode, and its threads."""
    executor = logs.ContextExecutor(LISTENER_THREADS, thread_name_prefix="listener")
    app = App(
        client=ctx.client,
        signing_secret=ctx.runtime.settings.slack_signing_secret or "",
        listener_executor=executor,
        # auth.test at start-up turns a wrong token into a clear error before serving.
        token_verification_enabled=True,
    )
    # Anonymous means no log line may tie a person to what they sent, whatever bolt logs.
    log_redaction.install(app.logger)
    _install_metrics(app)
    # People's messages are heard only in a recording's thread; every other one is dropped
    # before anything else reads, claims or logs it (it could only be refused by the gates).
    _install_message_filter(app, ctx)
    # First: nothing may act on another workspace's request or (under deny) an outsider's.
    gates.install(app, access=ctx.access, later=ctx.after_ack)
    _install_middleware(app, ctx, throttle or request_limits.Throttle())
    _install_error_handler(app, ctx)
    for feature in FEATURES:
        feature.register(app, ctx)
    # The caller shuts these down (and each test waits for work still running after its ack).
    return app, Workers(executor, ctx.after_ack)


def _install_metrics(app: App) -> None:
    @app.middleware
    def observe(body: dict[str, Any], next: Any) -> BoltResponse | None:
        """An ID and kind on every log line of the request; its outcome and ack latency."""
        kind = gates.kind_of(body)
        started = time.perf_counter()
        with logs.request_context(request_id=uuid.uuid4().hex[:12], kind=kind):
            response = next()
            elapsed = time.perf_counter() - started
            status = response.status if response is not None else 200
            outcome = "ok" if status < 400 else "refused" if status < 500 else "error"
            log.debug("%s acknowledged in %.1f ms (%s)", kind, elapsed * 1000, outcome)
        metrics.ACK_SECONDS.labels(kind).observe(elapsed)
        metrics.REQUESTS.labels(kind, outcome).inc()
        return response


def _install_message_filter(app: App, ctx: SlackContext) -> None:
    recorder = recording.Recorder(ctx)

    @app.middleware
    def only_recording_messages(body: dict[str, Any], next: Any) -> BoltResponse | None:
        """A `message` event goes on only when it could be a step of a recording."""
        event = body.get("event") if body.get("type") == "event_callback" else None
        is_message = isinstance(event, dict) and event.get("type") == "message"
        if is_message and not recorder.in_recording(event):
            return BoltResponse(status=200, body="")
        return next()


def _install_middleware(app: App, ctx: SlackContext, throttle: request_limits.Throttle) -> None:
    api_url, client, runtime = ctx.runtime.settings.slack_api_url, ctx.client, ctx.runtime

    @app.middleware
    def answer_only_slack(context: BoltContext, next: Any) -> BoltResponse | None:
        """Listeners' `respond` posts only to Slack's response URLs, with a short timeout."""
        context["respond"] = Responder(
            response_url=context.response_url, api_url=api_url, proxy=client.proxy, ssl=client.ssl
        )
        return next()

    # Before anything touches the database: a flood is refused at the door.
    app.middleware(request_limits.guard(throttle, later=ctx.after_ack))

    @app.middleware
    def skip_redelivered_events(body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Slack retries events it thinks were missed; a retry may reach another process."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with runtime.database.session() as session:
                if not claim_event(session, event_id=event_id, now=runtime.clock()):
                    return BoltResponse(status=200, body="")
        return next()


def _install_error_handler(app: App, ctx: SlackContext) -> None:
    api_url = ctx.runtime.settings.slack_api_url

    @app.error
    def on_error(error: Exception, body: dict[str, Any], context: BoltContext) -> None:
        """Log once with an ID; tell the person something went wrong, quoting the ID.

        Bodies reach bolt only once verified (bot/web_guard.py; Socket Mode's come over the
        authenticated connection), and the answer goes only to a Slack response URL.
        """
        if is_unavailable(error):
            log.warning(
                "database unavailable (%s) handling %s", type(error).__name__, body.get("type")
            )
            notice = database_notice()
        else:
            error_id = uuid.uuid4().hex[:8]
            log.error(
                "error %s handling %s",
                error_id,
                body.get("type"),
                exc_info=error,
                extra={"error_id": error_id},
            )
            notice = error_notice(error_id)
        respond = Responder(response_url=context.response_url, api_url=api_url)
        if respond.response_url:
            # Posted from the after-ack pool: never on the thread that answers Slack.
            ctx.later(respond, {**notice, "response_type": "ephemeral", "replace_original": False})
