"""Posting to a response_url: only to Slack's hooks host, and never for long.

A response_url comes from the request body; were it taken from a forged one, posting to it
would let anyone make sopbot send requests to any address. Slack's are always on
https://hooks.slack.com/. The tests and the playground point SLACK_API_URL at a fake Slack,
whose response URLs are on that same host, so that host is allowed too.
"""

from __future__ import annotations

import logging
from ssl import SSLContext
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Respond
from slack_sdk.webhook import WebhookClient, WebhookResponse

log = logging.getLogger(__name__)
SLACK_HOOKS = ("https", "hooks.slack.com", 443)
# Slack answers a response_url in well under a second; a stuck post must not hold a thread.
TIMEOUT_SECONDS = 5
DEFAULT_PORTS = {"https": 443, "http": 80}


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of a plain http(s) URL without credentials; None for anything else."""
    if not url.isascii() or not url.isprintable() or " " in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def is_slack_response_url(url: object, *, api_url: str) -> bool:
    """True for a URL on Slack's hooks host or on the host of SLACK_API_URL (the fake's)."""
    if not isinstance(url, str):
        return False
    origin = _origin(url)
    return origin is not None and origin in {SLACK_HOOKS, _origin(api_url)}


class Responder(Respond):
    """bolt's `respond`, allowed only Slack's response URLs and a short timeout.

    Takes a message dict, as every sopbot caller passes; `response_url` is None when the
    request had none or had one that is not Slack's (callers check it before answering).
    """

    def __init__(
        self,
        *,
        response_url: str | None,
        api_url: str,
        proxy: str | None = None,
        ssl: SSLContext | None = None,
    ) -> None:
        allowed = is_slack_response_url(response_url, api_url=api_url)
        if response_url and not allowed:
            log.warning("ignored a response_url that is not on Slack's hooks host")
        super().__init__(response_url=response_url if allowed else None, proxy=proxy, ssl=ssl)

    def __call__(self, message: dict[str, Any]) -> WebhookResponse:  # type: ignore[override]
        """POST `message` to the response_url."""
        if self.response_url is None:
            raise ValueError("no Slack response_url to answer through")
        client = WebhookClient(
            self.response_url, timeout=TIMEOUT_SECONDS, proxy=self.proxy, ssl=self.ssl
        )
        return client.send_dict(message)
