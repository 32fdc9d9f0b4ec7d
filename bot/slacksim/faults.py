"""Failure injection: scripted failures, seeded chaos and tier-style rate limits."""

from __future__ import annotations

import math
import random
import threading
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from bot.slacksim.clock import Clock

# Requests per minute, per method, from Slack's published tiers (SLACK_NOTES.md).
TIER_PER_MINUTE = {
    "users.list": 20,
    "conversations.list": 20,
    "usergroups.list": 20,
    "usergroups.users.list": 20,
    "conversations.open": 50,
    "conversations.info": 50,
    "conversations.history": 50,
    "conversations.replies": 50,
    "conversations.join": 50,
    "users.lookupByEmail": 50,
    "chat.update": 50,
    "chat.delete": 50,
    "chat.postEphemeral": 100,
    "conversations.members": 100,
    "users.info": 100,
    "views.open": 100,
    "views.push": 100,
    "views.update": 100,
    "views.publish": 100,
    "files.getUploadURLExternal": 100,
    "files.completeUploadExternal": 100,
}
STATUS_FOR = {
    "ratelimited": 429,
    "internal_error": 500,
    "fatal_error": 500,
    "service_unavailable": 503,
}


@dataclass(frozen=True)
class Failure:
    """How one call fails: an error body with an HTTP status, or a dropped connection."""

    error: str = "ratelimited"
    status: int = 429
    retry_after: int | None = 1
    drop_connection: bool = False
    land: bool = False  # with drop_connection: the call takes effect, then the reply is lost


class Faults:
    """Decides, call by call, whether the fake answers normally."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._scripted: dict[str, deque[Failure]] = defaultdict(deque)
        self._chaos: tuple[set[str] | None, float, list[str], random.Random] | None = None
        self._limits: dict[str, float] | None = None  # method -> per minute
        self._post_rate: float = 0.0
        self._post_burst: int = 1
        self._workspace_post: float = 0.0  # chat.postMessage per minute across channels
        self._buckets: dict[tuple, tuple[float, float]] = {}
        self._delays: dict[str, float] = {}

    def fail(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int | None = 1,
        times: int = 1,
        drop_connection: bool = False,
        land: bool = False,
    ) -> None:
        """Make the next `times` calls of `method` fail this way."""
        status = status if status is not None else STATUS_FOR.get(error, 200)
        failure = Failure(
            error=error,
            status=status,
            retry_after=retry_after if status == 429 else None,
            drop_connection=drop_connection,
            land=land,
        )
        with self._lock:
            self._scripted[method].extend([failure] * times)

    def chaos(
        self,
        methods: Iterable[str] | str | None = None,
        *,
        rate: float = 0.2,
        errors: Iterable[str] = ("ratelimited", "internal_error"),
        seed: int = 1,
    ) -> None:
        """Fail a seeded-random share of calls to `methods` (None or "*": every API method)."""
        if methods is None or methods == "*":
            chosen = None
        else:
            chosen = {methods} if isinstance(methods, str) else set(methods)
        with self._lock:
            self._chaos = (chosen, rate, list(errors), random.Random(seed))

    def slow(self, method: str, seconds: float) -> None:
        """Answer every call of `method` `seconds` late (0: on time again)."""
        with self._lock:
            self._delays[method] = seconds

    def delay(self, method: str) -> float:
        """How late this call of `method` is answered."""
        with self._lock:
            return self._delays.get(method, 0.0)

    def calm(self) -> None:
        """Stop chaos and forget scripted failures, delays and rate limits."""
        with self._lock:
            self._delays.clear()
            self._chaos = None
            self._scripted.clear()
            self._limits = None
            self._post_rate = 0.0
            self._workspace_post = 0.0
            self._buckets.clear()

    def enforce_rate_limits(
        self,
        *,
        chat_postMessage_per_channel_per_sec: float = 1.0,  # noqa: N803 - mirrors the method name
        chat_postMessage_burst: int = 1,  # noqa: N803
        per_minute: dict[str, float] | None = None,
        tiers: bool = True,
        chat_postMessage_per_minute: float = 0.0,  # noqa: N803
    ) -> None:
        """Answer 429 like Slack once a method (or chat.postMessage to a channel) runs too hot.

        `chat_postMessage_per_minute` is the workspace-wide limit Slack does not announce: a
        bucket of three seconds' worth, refilled at that rate.
        """
        with self._lock:
            self._limits = {**(TIER_PER_MINUTE if tiers else {}), **(per_minute or {})}
            self._post_rate = chat_postMessage_per_channel_per_sec
            self._post_burst = chat_postMessage_burst
            self._workspace_post = chat_postMessage_per_minute
            self._buckets.clear()

    def check(self, method: str, args: dict) -> Failure | None:
        """The failure this call meets, if any (scripted first, then chaos, then limits)."""
        with self._lock:
            if self._scripted.get(method):
                return self._scripted[method].popleft()
            if self._chaos is not None and "." in method:
                chosen, rate, errors, rng = self._chaos
                if (chosen is None or method in chosen) and rng.random() < rate:
                    error = rng.choice(errors)
                    if error == "connection_reset":
                        return Failure(error=error, drop_connection=True)
                    status = STATUS_FOR.get(error, 200)
                    return Failure(error, status, 1 if status == 429 else None)
            if self._limits is None:
                return None
            if method == "chat.postMessage" and self._workspace_post > 0:
                rate = self._workspace_post / 60.0
                wait = self._take((method,), rate, max(1, int(rate * 3)))
                if wait > 0:
                    return Failure("ratelimited", 429, max(1, math.ceil(wait)))
            if method == "chat.postMessage" and self._post_rate > 0:
                key = (method, str(args.get("channel")))
                wait = self._take(key, self._post_rate, self._post_burst)
            elif method in self._limits:
                per_minute = self._limits[method]
                wait = self._take((method,), per_minute / 60.0, max(1, int(per_minute)))
            else:
                wait = 0.0
            if wait > 0:
                return Failure("ratelimited", 429, max(1, math.ceil(wait)))
            return None

    def _take(self, key: tuple, rate: float, capacity: int) -> float:
        """Token bucket: 0 if a token was taken, else seconds until one is available."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(capacity), now))
        tokens = min(float(capacity), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / rate
