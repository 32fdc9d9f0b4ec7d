"""Keeps Slack request bodies out of the logs: a body names who sent it (anonymous feedback too)."""

from __future__ import annotations

import logging

# Bolt logs a rejected request's whole body at INFO ("Invalid request signature detected
# (..., body: ...)"), e.g. for a real request that arrives late because of clock skew; in
# Socket Mode with -v, slack_sdk logs every incoming envelope at DEBUG through bolt's logger.
BODY_LINES = ("Invalid request signature detected", "on_message invoked", "Received bytes")
NOTE = "(body not logged: it can name the sender of anonymous feedback)"


class RequestBodyFilter(logging.Filter):
    """Replaces a log line that carries a request body with its first words."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if message.startswith(BODY_LINES):
            head = next(line for line in BODY_LINES if message.startswith(line))
            record.msg, record.args = f"{head} {NOTE}", ()
        return True


FILTER = RequestBodyFilter()


def install(app_logger: logging.Logger) -> None:
    """Filter bolt's app logger and its request-verification logger (once each)."""
    for logger in (app_logger, logging.getLogger("slack_bolt.RequestVerification")):
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)
