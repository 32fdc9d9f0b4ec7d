"""Every Web API client sopbot uses, by purpose, with its retry rules in one place.

All of them are GuardedWebClient (bot/slack/outgoing.py): nothing goes to Slack unchecked.
Bolt's per-request `client` is a plain WebClient, so listeners never send with it.

- `listener_client`: listeners after their ack, and the scheduled jobs' look-ups and uploads.
  Waits out an HTTP 429's Retry-After, twice; slack_sdk retries a failed connection once.
- `ack_path_client`: the few listeners that answer inside their ack (modal submissions). They
  share Slack's 3 seconds with the database: no retries at all, and a 2-second timeout.
- `dispatcher_client`: the outbox. No slack_sdk retries (the dispatcher retries by itself,
  safely, and looks for an earlier attempt first); its timeout stays under the row's lease.
- `quiet_client`: people look-ups. slack_sdk logs every call's arguments and answer at DEBUG,
  which would tie a person to the moment they sent anonymous feedback; this one logs nothing
  below WARNING.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings
from bot.slack.outgoing import GuardedWebClient

ACK_PATH_TIMEOUT_SECONDS = 2
DISPATCHER_MAX_TIMEOUT_SECONDS = 30
QUIET = logging.getLogger(__name__ + ".quiet")
QUIET.setLevel(logging.WARNING)


def listener_client(settings: Settings) -> GuardedWebClient:
    """The client for SLACK_API_URL that listeners and jobs send with."""
    client = GuardedWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def ack_path_client(client: WebClient) -> GuardedWebClient:
    """`client`'s workspace, for calls made before an ack: fail fast, never wait or retry."""
    return GuardedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=ACK_PATH_TIMEOUT_SECONDS,
        proxy=client.proxy,
        ssl=client.ssl,
        retry_handlers=[],
    )


def dispatcher_client(settings: Settings, *, call_timeout: float) -> GuardedWebClient:
    """The outbox dispatcher's client: no retries, a timeout within `call_timeout`."""
    return GuardedWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=min(DISPATCHER_MAX_TIMEOUT_SECONDS, call_timeout),
        retry_handlers=[],
    )


def quiet_client(client: WebClient) -> GuardedWebClient:
    """The same Web API client (token, URL, retries), logging nothing below WARNING."""
    return GuardedWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=list(client.retry_handlers),
        logger=QUIET,
    )
