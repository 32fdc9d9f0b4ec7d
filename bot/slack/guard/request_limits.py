"""Limits every slash command and button press meets before a listener: size and pace.

The pace limit is a token bucket per person, in memory, per process. It protects this process
(its threads, its database pool) from one person or one script, which is all it is for: it
needs no shared state, and with several processes a person gets a little more. The limits
that must hold across processes stay in the database (feedback's 20 an hour).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from bot.slack.guard.after_ack import AfterAck
from bot.slack.kit.notices import plain_notice

log = logging.getLogger(__name__)

# Slack caps what a person can type, but a signed request from elsewhere (or a future Slack)
# need not be: room for /feedback's 3,000 characters of text plus the SOP, step and kind.
MAX_COMMAND_TEXT = 4_000
PER_MINUTE = 30  # requests a person makes on average: a quiz or a run is a press every few seconds
BURST = 30  # requests in a row before the pace counts
MAX_PEOPLE = 10_000  # buckets kept; beyond it the longest idle goes (a fresh bucket is full)
TOO_FAST = "You're going a little fast for sopbot. Wait a few seconds, then try again."


def too_long(length: int) -> str:
    """The answer to a command whose text is over MAX_COMMAND_TEXT."""
    return (
        f"That's too long for sopbot ({length:,} characters; at most {MAX_COMMAND_TEXT:,}). "
        "Shorten it, or use /feedback alone for the form."
    )


class Throttle:
    """A token bucket per person: BURST requests at once, then PER_MINUTE a minute."""

    def __init__(
        self,
        *,
        per_minute: float = PER_MINUTE,
        burst: int = BURST,
        max_people: int = MAX_PEOPLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60  # tokens a second
        self.burst, self.max_people, self.clock = burst, max_people, clock
        self._lock = threading.Lock()
        # person -> (tokens, when counted); least recently seen first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, person: str) -> bool:
        """Take a token from `person`'s bucket; False when it is empty (nothing is taken)."""
        with self._lock:
            now = self.clock()  # under the lock: each bucket and the order only move forward
            tokens, then = self._buckets.pop(person, (self.burst, now))
            self._forget_idle(now)
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            allowed = tokens >= 1
            self._buckets[person] = (tokens - 1 if allowed else tokens, now)
            return allowed

    @property
    def tracked(self) -> int:
        """How many people have a bucket in memory."""
        return len(self._buckets)

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that have refilled (forgetting them changes nothing), then the longest
        unseen until there is room for one more."""
        refill = self.burst / self.rate
        while self._buckets:
            person, (_, then) = next(iter(self._buckets.items()))
            if now - then < refill and len(self._buckets) < self.max_people:
                break
            del self._buckets[person]


def _kind(body: dict[str, Any]) -> str | None:
    if "command" in body:
        return "command"
    return "action" if body.get("type") == "block_actions" else None


def guard(throttle: Throttle, *, later: AfterAck) -> Callable[..., BoltResponse | None]:
    """A bolt middleware refusing commands over MAX_COMMAND_TEXT and people over the pace."""

    def request_limits(body: dict[str, Any], context: Any, respond: Any, next: Any) -> Any:
        kind, person = _kind(body), context.get("user_id")
        if kind is None or person is None:
            return next()
        if not throttle.allow(person):
            log.debug("%s refused: over the pace limit", kind)  # a flood must not flood the log
            return _refuse(kind, TOO_FAST, respond, later)
        length = len(body.get("text") or "") if kind == "command" else 0
        if length > MAX_COMMAND_TEXT:
            return _refuse(kind, too_long(length), respond, later)
        return next()

    return request_limits


def _refuse(kind: str, text: str, respond: Any, later: AfterAck) -> BoltResponse:
    """Ack with nothing done; a command's ack carries the note, a press gets it afterwards."""
    note = {**plain_notice(text), "response_type": "ephemeral"}
    if kind == "command":
        return BoltResponse(status=200, body=note)
    if respond is not None and getattr(respond, "response_url", None):
        later.submit(respond, {**note, "replace_original": False})
    return BoltResponse(status=200, body="")
