"""Sending limits every dispatcher shares (kept in the database) and the retry policy."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.db.outbox import RateLimit, dialect_insert

TRANSIENT = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "ratelimited", "request_timeout"}
)
# OUTBOX_PER_MINUTE=auto: start where Slack's docs put a bot's pace ("a few hundred a minute").
# Every WINDOW, if sending used at least USED of the pace (the pace, not our own speed, was the
# limit), speed up: x2 while probing (before the first 429), then +20% a minute. At the first
# 429 of a spell, slow to 90% of what actually went through in the window (probing overshoots
# the pace it asked for), later to 95% of the pace (a shallow saw keeps close to the limit).
AUTO_START = 300.0
AUTO_FLOOR = 20.0
AUTO_CEILING = 6000.0
WINDOW = 10.0
USED = 0.8
PROBE_STEP = 2.0
STEADY_STEP = 1.0 + 0.2 * WINDOW / 60
BACK_OFF = 0.9  # leaving probing
SETTLED_BACK_OFF = 0.95

# Slack can briefly deny a DM or channel it has just created; one more try settles it.
SETTLING = frozenset({"channel_not_found", "user_not_in_channel"})


@dataclass(frozen=True)
class DeliveryLimits:
    """How fast and how persistently to send; the defaults follow Slack's published limits."""

    per_minute: float | None = 50  # chat.postMessage per workspace; None: learn it (auto)
    per_channel_per_second: float = 1.0
    tier3_per_minute: float = 50  # conversations.open/.history/.replies, chat.update
    burst: int = 3  # per method: a late dispatcher may catch up by this many calls
    senders: int = 8  # calls in flight at once per dispatcher (Slack takes 100-300 ms a call)
    max_attempts: int = 8
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    lease_seconds: float = 120.0
    batch_size: int = 20
    poll_interval: float = 1.0
    max_wait: float = 5.0  # longest wait for a budget slot while holding a row
    history_margin: float = 300.0  # look this far before the first attempt (clock skew)
    history_pages: int = 5

    def post_rate(self) -> Rate:
        """The chat.postMessage budget: fixed, or learned from Slack's 429s when auto."""
        if self.per_minute is None:
            return Rate.per_minute("chat.postMessage", AUTO_START, burst=self.burst, adaptive=True)
        return Rate.per_minute("chat.postMessage", self.per_minute, burst=self.burst)

    def call_timeout(self) -> int:
        """Seconds a Web API call may take so that all of a row's calls end within its lease."""
        calls = 2 + self.history_pages  # conversations.open, history pages, the post
        return max(1, int((self.lease_seconds - self.max_wait) / calls))


def is_transient(error: str, *, status: int, attempt: int) -> bool:
    """Whether a failed call is worth retrying; anything else is permanent."""
    if status == 429 or status >= 500 or error in TRANSIENT:
        return True
    return error in SETTLING and attempt < 2


@dataclass(frozen=True)
class Rate:
    """One budget: at most one call per `interval` seconds, `burst` at once after a quiet spell."""

    bucket: str
    interval: float
    burst: int = 1
    adaptive: bool = False  # the pace is learned (RateLimit.per_minute); `interval` starts it

    @classmethod
    def per_minute(
        cls, bucket: str, count: float, *, burst: int = 1, adaptive: bool = False
    ) -> Rate:
        return cls(bucket, 60.0 / count, burst, adaptive)


def learned(row: RateLimit, rate: Rate) -> Rate:
    """`rate` at the pace the shared row has learned so far (fixed rates unchanged)."""
    if not rate.adaptive:
        return rate
    if row.per_minute is None:
        row.per_minute = 60.0 / rate.interval
    return replace(rate, interval=60.0 / row.per_minute)


def count_send(row: RateLimit, now: datetime) -> None:
    """One more call at the learned pace; at the end of a window, speed up if it was used."""
    if row.window_start is None or now < row.window_start:
        row.window_start, row.window_sent = now, 0
    row.window_sent = (row.window_sent or 0) + 1
    elapsed = (now - row.window_start).total_seconds()
    if elapsed < WINDOW:
        return
    pace = row.per_minute or AUTO_START
    if row.window_sent * 60 / elapsed >= USED * pace:
        step = PROBE_STEP if row.settled_at is None else STEADY_STEP
        row.per_minute = min(AUTO_CEILING, pace * step)
    row.window_start, row.window_sent = now, 0


def slow_down(row: RateLimit, now: datetime) -> None:
    """The first 429 of a spell: slow below the pace (or what went through, when probing)."""
    pace, back_off = row.per_minute or AUTO_START, SETTLED_BACK_OFF
    elapsed = (now - row.window_start).total_seconds() if row.window_start else 0.0
    if row.settled_at is None:
        back_off = BACK_OFF
        if elapsed >= 2:  # probing overshot the pace it asked for: trust what went through
            pace = min(pace, (row.window_sent or 0) * 60 / elapsed)
    row.per_minute = max(AUTO_FLOOR, pace * back_off)
    row.settled_at = now
    row.window_start, row.window_sent = now, 0


@dataclass(frozen=True)
class Reservation:
    """When the caller may make its call; `granted` False means nothing was reserved."""

    send_at: datetime
    granted: bool


def earliest(next_free: datetime, now: datetime, rate: Rate) -> datetime:
    """The first moment a call fits the budget (GCRA: `next_free` is the theoretical arrival)."""
    tolerance = timedelta(seconds=rate.interval * (rate.burst - 1))
    return max(now, next_free - tolerance)


def advance(next_free: datetime, send_at: datetime, rate: Rate) -> datetime:
    """`next_free` after one call at `send_at`."""
    return max(next_free, send_at) + timedelta(seconds=rate.interval)


def backoff(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before retry number `attempt` (1, 2, ...): exponential, half of it jittered."""
    ceiling = min(cap, base * 2 ** max(0, attempt - 1))
    # Jitter spreads retries of a fan-out that failed together, so they do not return together.
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def reserve(
    session: Session,
    *,
    workspace_id: int,
    rates: Sequence[Rate],
    now: datetime,
    max_wait: float,
) -> Reservation:
    """Take a slot in every budget at once, unless the shared slot is over `max_wait` away."""
    buckets = sorted({rate.bucket for rate in rates})
    # Rows are created on first use and locked in bucket order, so two dispatchers taking
    # overlapping budgets cannot deadlock; SQLite's BEGIN IMMEDIATE already serialises them.
    session.execute(
        dialect_insert(session, RateLimit)
        .values([{"workspace_id": workspace_id, "bucket": b, "next_free": now} for b in buckets])
        .on_conflict_do_nothing(index_elements=["workspace_id", "bucket"])
    )
    rows = session.scalars(
        select(RateLimit)
        .where(RateLimit.workspace_id == workspace_id, RateLimit.bucket.in_(buckets))
        .order_by(RateLimit.bucket)
        .with_for_update()
    ).all()
    by_bucket = {row.bucket: row for row in rows}
    paced = [(by_bucket[rate.bucket], learned(by_bucket[rate.bucket], rate)) for rate in rates]
    send_at = now
    for row, rate in paced:
        send_at = max(send_at, earliest(row.next_free, now, rate))
        if row.blocked_until is not None:
            send_at = max(send_at, row.blocked_until)
    if (send_at - now).total_seconds() > max_wait:
        return Reservation(send_at, granted=False)
    for row, rate in paced:
        if rate.adaptive:
            count_send(row, now)
        row.next_free = advance(row.next_free, send_at, rate)
    session.flush()
    return Reservation(send_at, granted=True)


def block(
    session: Session, *, workspace_id: int, bucket: str, until: datetime, now: datetime
) -> None:
    """Hold every dispatcher off `bucket` (a Web API method) until `until`, after a 429."""
    session.execute(
        dialect_insert(session, RateLimit)
        .values(workspace_id=workspace_id, bucket=bucket, next_free=until)
        .on_conflict_do_nothing(index_elements=["workspace_id", "bucket"])
    )
    row = session.scalars(
        select(RateLimit)
        .where(RateLimit.workspace_id == workspace_id, RateLimit.bucket == bucket)
        .with_for_update()
    ).one()
    if row.per_minute is not None and (row.blocked_until is None or row.blocked_until < now):
        # The first 429 of a spell slows the learned pace; those of calls already under way
        # when it came (same spell) must not slow it again.
        slow_down(row, now)
    if row.blocked_until is None or row.blocked_until < until:
        row.blocked_until = until
    session.flush()


def prune(session: Session, *, before: datetime) -> int:
    """Forget budgets idle since `before` (one per channel ever posted to adds up)."""
    result = session.execute(
        delete(RateLimit).where(
            RateLimit.next_free < before,
            or_(RateLimit.blocked_until.is_(None), RateLimit.blocked_until < before),
        )
    )
    return result.rowcount
