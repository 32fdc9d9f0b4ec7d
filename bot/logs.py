"""Log set-up: the default text lines, or LOG_FORMAT=json (one object per line), and the
request context (an ID and the Slack request kind) every line logged for a request carries."""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import orjson

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
REQUEST_KIND: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_kind", default=None
)
# Their DEBUG lines carry what was sent and received (message text, request bodies); JSON
# logs are for shipping elsewhere, so they never get them, -v or not.
CHATTY = ("slack_sdk", "slack_bolt", "urllib3", "websocket", "sqlalchemy")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the request's context."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("request_id", REQUEST_ID), ("kind", REQUEST_KIND)):
            found = getattr(record, key, None) or var.get()
            if found:
                entry[key] = found
        error_id = getattr(record, "error_id", None)
        if error_id:
            entry["error_id"] = error_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure(
    *, log_format: str = "text", verbose: bool = False, filters: Sequence[logging.Filter] = ()
) -> None:
    """Log to standard error in `log_format`, every line through `filters` (the CLI passes
    the request-body filter). Does nothing where logging is set up already (under pytest)."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    for line_filter in filters:
        handler.addFilter(line_filter)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # Alembic narrates every migration check at INFO; only its problems are news.
    logging.getLogger("alembic").setLevel(logging.DEBUG if verbose else logging.WARNING)
    if log_format == "json":
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.INFO)


@contextmanager
def request_context(*, request_id: str, kind: str) -> Iterator[None]:
    """Lines logged inside (and by work submitted from inside) carry this request's ID, kind."""
    tokens = REQUEST_ID.set(request_id), REQUEST_KIND.set(kind)
    try:
        yield
    finally:
        REQUEST_ID.reset(tokens[0])
        REQUEST_KIND.reset(tokens[1])


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose work runs in the submitter's context, so its lines keep the
    request's ID and kind."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
