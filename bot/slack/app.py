"""Builds the bolt App: Web API client, signature checks, middleware, listeners."""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.db.events import claim_event
from bot.slack import gates, listeners
from bot.slack.after_ack import AfterAck, Workers, error_notice
from bot.slack.runner import Runner
from bot.wiring import Services

log = logging.getLogger(__name__)
# Listeners ack at once and then talk to Slack and the database; more workers than bolt's
# default five keep a burst of slow calls from delaying the next request's ack.
LISTENER_THREADS = 32


def build_client(services: Services) -> WebClient:
    """A Web API client for SLACK_API_URL that waits out HTTP 429s."""
    settings = services.settings
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def build_app(services: Services, *, client: WebClient | None = None) -> App:
    """The whole Slack app, ready to be served over HTTP or Socket Mode."""
    client = client or build_client(services)
    executor = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener")
    app = App(
        client=client,
        signing_secret=services.settings.slack_signing_secret or "",
        listener_executor=executor,
        # auth.test at start-up turns a wrong token into a clear error before serving.
        token_verification_enabled=True,
    )
    after_ack = AfterAck()
    # First: nothing may act on another workspace's request or (under deny) an outsider's.
    gates.install(app, services, client=client, later=after_ack)

    @app.middleware
    def skip_redelivered_events(body: dict[str, Any], next: Any) -> BoltResponse | None:
        """Slack retries events it thinks were missed; a retry may reach another process."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with services.database.session() as session:
                if not claim_event(session, event_id=event_id, now=services.clock()):
                    return BoltResponse(status=200, body="")
        return next()

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        """Log once with an ID; tell the person something went wrong, quoting the ID."""
        error_id = uuid.uuid4().hex[:8]
        log.error("error %s handling %s", error_id, body.get("type"), exc_info=error)
        response_url = body.get("response_url") or next(
            (r.get("response_url") for r in body.get("response_urls", [])), None
        )
        if response_url:
            WebhookClient(response_url).send_dict(
                {**error_notice(error_id), "response_type": "ephemeral", "replace_original": False}
            )

    listeners.register(app, services, Runner(services=services, client=client, later=after_ack))
    # Kept so a shutdown (and each test) can wait for work still running after its ack.
    app.sopbot_executor = Workers(executor, after_ack)  # type: ignore[attr-defined]
    return app
