"""What a person is told when sopbot's database or Slack itself does not answer in time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.db.session import is_unavailable
from bot.slack.kit.notices import plain_notice

log = logging.getLogger(__name__)
DATABASE_DOWN = "sopbot can't reach its database. Please try again in a minute."
SLACK_BUSY = "Slack didn't answer sopbot just now. Please try again in a minute."


def database_notice() -> dict:
    """The ephemeral answer when the database cannot be reached."""
    return plain_notice(DATABASE_DOWN)


def _slack_busy(error: Exception) -> bool:
    """A 429, a 5xx or a network failure: worth trying again in a minute."""
    if isinstance(error, SlackApiError):
        return error.response.status_code == 429 or error.response.status_code >= 500
    return isinstance(error, OSError)  # timeouts and refused connections, urllib's included


def modal_answer(view: dict[str, Any], answer: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The ack for a submitted modal: `answer()`, or why it failed, under the modal's first field.

    Runs before the ack, so a dead database or a busy Slack must become an answer the person
    sees within Slack's 3 seconds, not an error screen.
    """
    try:
        return answer()
    except Exception as error:
        if is_unavailable(error):
            text, why = DATABASE_DOWN, type(error).__name__
        elif _slack_busy(error):
            text, why = SLACK_BUSY, type(error).__name__
        else:
            raise
        first = next((b for b in view.get("blocks", []) if b.get("type") == "input"), None)
        if first is None or not first.get("block_id"):
            raise  # nowhere to say it; the error handler logs it
        log.warning("modal %s not saved: %s", view.get("callback_id"), why)
        return {"response_action": "errors", "errors": {first["block_id"]: text}}
