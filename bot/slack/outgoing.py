"""The last check before what the bot writes reaches Slack: no broadcast pings, no broken blocks.

`GuardedWebClient` checks every Web API call; the outbox dispatcher and `respond` (which does
not go through a WebClient) check with `refusal` themselves. Listeners use `ctx.client`:
bolt's per-request `client` is a plain WebClient.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.slack.kit.limits import check_message, check_view

log = logging.getLogger(__name__)

REFUSED = "sopbot_refused"
MESSAGE_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "response_url",
    }
)
VIEW_METHODS = frozenset({"views.open", "views.update", "views.push", "views.publish"})
_JSON_ARGS = ("blocks", "attachments", "view")
# Pings of many people at once: @channel, @here, @everyone (and the older @group), user groups.
_BROADCAST = re.compile(r"<!(?:channel|here|everyone|group|subteam\^)", re.IGNORECASE)
_PLAIN_BROADCAST = re.compile(r"(?<!\w)@(?:channel|here|everyone)\b", re.IGNORECASE)
# The keys under which Slack shows a string to people (and reads control sequences in it).
_SHOWN = frozenset({"text", "initial_comment", "fallback", "pretext"})


def guard_outgoing(message: dict) -> str | None:
    """Why a message must not be sent, or None; the reason never quotes the message.

    Refused: a ping of many people (`<!channel>`, `<!here>`, `<!everyone>`, `<!subteam^…>`)
    anywhere in it, `link_names`/`parse=full` (they turn plain "@here" into a ping), and what
    `check_message` finds apart from our own rules: Slack refuses those for good anyway, and
    an unexpected `<…>` means unescaped text got in. Mentions of one person (`<@U…>`) pass:
    the bot names people on purpose ("<@U123> started this run").
    """
    if message.get("link_names") or message.get("parse") == "full":
        return "link_names or parse=full would turn @names into pings"
    if broadcast_ping(message):
        return "it would ping @channel, @here, @everyone or a user group"
    try:
        check_message(message, ours=False)
    except ValueError as exc:
        return str(exc)[:200]
    except (LookupError, TypeError, AttributeError) as exc:  # not even Block Kit's shape
        return f"malformed blocks ({type(exc).__name__})"
    return None


def guard_view(view: dict) -> str | None:
    """Why a Home tab or modal must not be shown, or None (the rules of `guard_outgoing`)."""
    if broadcast_ping(view):
        return "it would ping @channel, @here, @everyone or a user group"
    try:
        check_view(view, ours=False)
    except ValueError as exc:
        return str(exc)[:200]
    except (LookupError, TypeError, AttributeError) as exc:
        return f"malformed view ({type(exc).__name__})"
    return None


def broadcast_ping(value: Any, key: str = "") -> bool:
    """Whether any text shown anywhere in a message or view pings many people at once."""
    if isinstance(value, dict):
        # Slack parses "certain mentions" in mrkdwn that is not verbatim.
        loose = value.get("type") == "mrkdwn" and value.get("verbatim") is not True
        if loose and _PLAIN_BROADCAST.search(str(value.get("text", ""))):
            return True
        return any(broadcast_ping(item, name) for name, item in value.items())
    if isinstance(value, list):
        return any(broadcast_ping(item, key) for item in value)
    return isinstance(value, str) and key in _SHOWN and _BROADCAST.search(value) is not None


class Refused(SlackApiError):
    """A call the bot would not make; handled like Slack refusing it for good."""

    def __init__(self, method: str, reason: str) -> None:
        response = SlackResponse(
            client=None,
            http_verb="POST",
            api_url=method,
            req_args={},
            data={"ok": False, "error": REFUSED},
            headers={},
            status_code=200,
        )
        super().__init__(f"sopbot refused {method}: {reason}", response)
        self.reason = reason


def refusal(method: str, payload: dict[str, Any]) -> str | None:
    """Why the call `method` with these arguments must not be made, or None."""
    payload = _decoded(payload)
    if method in MESSAGE_METHODS:
        return guard_outgoing(payload)
    if method in VIEW_METHODS:
        view = payload.get("view")
        return guard_view(view) if isinstance(view, dict) else "no view to show"
    if broadcast_ping(payload):  # e.g. files.completeUploadExternal's initial_comment
        return "it would ping @channel, @here, @everyone or a user group"
    return None


def check(method: str, payload: dict[str, Any]) -> None:
    """Raise Refused (logged in one line, without the text) if `refusal` finds a reason."""
    reason = refusal(method, payload)
    if reason is not None:
        log.warning("refused to send %s: %s", method, reason)
        raise Refused(method, reason)


def _decoded(payload: dict[str, Any]) -> dict[str, Any]:
    """Arguments with JSON-string blocks or views parsed, as Slack would read them."""
    decoded = dict(payload)
    for name in _JSON_ARGS:
        if isinstance(decoded.get(name), str):
            try:
                decoded[name] = json.loads(decoded[name])
            except json.JSONDecodeError:
                decoded[name] = None
    return decoded


class GuardedWebClient(WebClient):
    """A WebClient that refuses (raises Refused) any call `refusal` objects to."""

    def api_call(  # type: ignore[override]
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict | None = None,
        data: dict | None = None,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        auth: dict | None = None,
    ) -> Any:
        args = {**(params or {}), **(data if isinstance(data, dict) else {}), **(json or {})}
        check(api_method, args)
        return super().api_call(
            api_method,
            http_verb=http_verb,
            files=files,
            data=data,
            params=params,
            json=json,
            headers=headers,
            auth=auth,
        )
