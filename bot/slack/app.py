"""Builds the bolt App: Web API client, signature checks, middleware, listeners."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.db.events import claim_event
from bot.db.session import is_unavailable
from bot.runtime import Runtime
from bot.slack import gates, listeners, request_limits
from bot.slack.after_ack import AfterAck, Workers, error_notice
from bot.slack.outgoing import GuardedWebClient
from bot.slack.response_urls import Responder
from bot.slack.runner import Runner
from bot.slack.unavailable import database_notice
from bot.threads import LISTENER_THREADS

log = logging.getLogger(__name__)


def build_client(runtime: Runtime) -> WebClient:
    """A Web API client for SLACK_API_URL that waits out HTTP 429s."""
    settings = runtime.settings
    client = GuardedWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def build_app(
    runtime: Runtime,
    *,
    client: WebClient | None = None,
    throttle: request_limits.Throttle | None = None,
) -> App:
    """The whole Slack app, ready to be served over HTTP or Socket Mode."""
    client = client or build_client(runtime)
    executor = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener")
    app = App(
        client=client,
        signing_secret=runtime.settings.slack_signing_secret or "",
        listener_executor=executor,
        # auth.test at start-up turns a wrong token into a clear error before serving.
        token_verification_enabled=True,
    )
    after_ack = AfterAck()
    # First: nothing may act on another workspace's request or (under deny) an outsider's.
    gates.install(app, runtime, client=client, later=after_ack)

    api_url = runtime.settings.slack_api_url

    @app.middleware
    def answer_only_slack(context: BoltContext, next: Any) -> BoltResponse | None:
        """Listeners' `respond` posts only to Slack's response URLs, with a short timeout."""
        context["respond"] = Responder(
            response_url=context.response_url, api_url=api_url, proxy=client.proxy, ssl=client.ssl
        )
        return next()

    # Before anything touches the database: a flood is refused at the door.
    app.middleware(request_limits.guard(throttle or request_limits.Throttle(), later=after_ack))

    @app.middleware
    def skip_redelivered_events(body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Slack retries events it thinks were missed; a retry may reach another process."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with runtime.database.session() as session:
                if not claim_event(session, event_id=event_id, now=runtime.clock()):
                    return BoltResponse(status=200, body="")
        return next()

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
            log.error("error %s handling %s", error_id, body.get("type"), exc_info=error)
            notice = error_notice(error_id)
        respond = Responder(response_url=context.response_url, api_url=api_url)
        if respond.response_url:
            # Posted from the after-ack pool: never on the thread that answers Slack.
            after_ack.submit(
                respond, {**notice, "response_type": "ephemeral", "replace_original": False}
            )

    listeners.register(app, runtime, Runner(runtime=runtime, client=client, later=after_ack))
    # Kept so a shutdown (and each test) can wait for work still running after its ack.
    app.sopbot_executor = Workers(executor, after_ack)  # type: ignore[attr-defined]
    return app
