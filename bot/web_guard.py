"""Lets a request through to bolt only when it is small, signed by Slack, fresh and well-formed.

Bolt parses the body before it checks the signature, and hands unverified bodies to the error
handler when the check itself fails; so nothing of a request is parsed or acted on here until
its signature is verified. The body parsed here travels on in the environ (PARSED_BODY), so
bolt need not parse it again (bot/web.py).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.request.internals import parse_body

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]

MAX_BODY = 1024 * 1024  # Slack's payloads are a few kB; a full modal stays far below this
MAX_AGE_SECONDS = 5 * 60  # Slack's rule: an older signature may be a replay
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
# The environ key under which a verified request's parsed body reaches the wrapped app.
PARSED_BODY = "sopbot.parsed_body"


class Refused(Exception):
    """A request answered with `status` and logged with `reason` (never with its body)."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def verified_body(
    environ: dict, *, secret: bytes, now: float, max_body: int = MAX_BODY
) -> tuple[bytes, dict[str, Any]]:
    """The request's body, and that body parsed as bolt parses it, once size, timestamp,
    signature and shape are right; else Refused."""
    length = _content_length(environ)
    if length > max_body:
        raise Refused("413 Payload Too Large", f"body of {length} bytes is over {max_body}")
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
    if not TIMESTAMP.fullmatch(timestamp):
        raise Refused("401 Unauthorized", "timestamp missing or not a number")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise Refused("401 Unauthorized", "timestamp more than five minutes off")
    if not SIGNATURE.fullmatch(signature):
        raise Refused("401 Unauthorized", "signature missing or malformed")
    # Never more than Content-Length, which is at most max_body: the read is bounded too.
    body = environ["wsgi.input"].read(length) if length else b""
    if len(body) != length:
        raise Refused("400 Bad Request", "body shorter than its Content-Length")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret, base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused("401 Unauthorized", "signature does not match")
    return body, _parsed(body, environ.get("CONTENT_TYPE"))


def _content_length(environ: dict) -> int:
    value = environ.get("CONTENT_LENGTH") or "0"
    if not value.isascii() or not value.isdigit():
        raise Refused("400 Bad Request", "Content-Length is not a number")
    return int(value)


def _parsed(body: bytes, content_type: str | None) -> dict[str, Any]:
    """The body parsed as bolt parses it; Refused unless that is a JSON object (or a form)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("400 Bad Request", "body is not UTF-8") from None
    try:
        parsed = parse_body(text, content_type.split(";")[0] if content_type else None)
    except ValueError:  # json.JSONDecodeError included
        raise Refused("400 Bad Request", "body or its payload is not JSON") from None
    if not isinstance(parsed, dict) or not parsed:
        raise Refused("400 Bad Request", "body is not a JSON object or a form")
    return parsed


def signed_only(
    app: Callable[[dict, StartResponse], Iterable[bytes]],
    *,
    signing_secret: str,
    clock: Callable[[], float] = time.time,
) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """Wrap a WSGI app (bolt's handler) so it sees only requests `verified_body` accepts.

    `clock` is the wall clock, not the bot's: Slack signs with real time, and the playground's
    clock can be moved days ahead.
    """
    if not signing_secret:
        raise ValueError("a signing secret is required to serve Slack over HTTP")
    secret = signing_secret.encode()

    def guarded(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        try:
            body, parsed = verified_body(environ, secret=secret, now=clock())
        except Refused as refused:
            log.warning("refused a request to %s: %s", environ.get("PATH_INFO"), refused.reason)
            text = refused.status.encode()
            start_response(
                refused.status,
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(text)))],
            )
            return [text]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ[PARSED_BODY] = parsed
        return app(environ, start_response)

    return guarded
