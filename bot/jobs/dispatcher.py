"""The outbox dispatcher: claims due messages, sends them within the shared budget, records why."""

from __future__ import annotations

import itertools
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot import metrics
from bot.db import outbox
from bot.db.outbox import POST, SENDING, UPDATE, OutboxMessage
from bot.db.session import Database
from bot.jobs import ratelimit
from bot.jobs.ratelimit import DeliveryLimits, Rate, is_transient
from bot.slack.outgoing import refusal

log = logging.getLogger(__name__)

__all__ = ["DeliveryLimits", "Dispatcher"]


@dataclass
class Attempt:
    """One try at one row: what it may already have done at Slack."""

    row: OutboxMessage
    token: str
    maybe_sent: bool
    method: str = ""
    posted: bool = False
    dm: str | None = None
    opened: bool = False  # a DM ID learned on this attempt: cache it with the outcome


@dataclass
class Dispatcher:
    """Sends outbox rows; any number may run at once, in any number of processes."""

    database: Database
    client: WebClient
    clock: Callable[[], datetime]
    limits: DeliveryLimits = field(default_factory=DeliveryLimits)
    dispatcher_id: str = ""
    rng: random.Random = field(default_factory=random.Random)
    sleep: Callable[[float], object] = time.sleep  # tests with a manual clock move it here

    def __post_init__(self) -> None:
        if self.client.retry_handlers:
            raise ValueError("give the dispatcher a WebClient without retry handlers")
        if (self.client.timeout or 0) > self.limits.call_timeout():
            # A lease that lapses mid-call lets a second dispatcher post the same row.
            raise ValueError(
                f"WebClient timeout over {self.limits.call_timeout()}s outlasts the lease"
            )
        host = socket.gethostname()[:40]
        self.dispatcher_id = self.dispatcher_id or f"{host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._claims = itertools.count(1)
        self._stop = threading.Event()
        self._lease = timedelta(seconds=self.limits.lease_seconds)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._held: dict[str, datetime] = {}  # method -> end of a 429's Retry-After

    def run_forever(self, stop_event: threading.Event) -> None:
        """Send until `stop_event` is set; the current row finishes, the rest are released."""
        self._stop = stop_event
        log.info("outbox dispatcher %s started", self.dispatcher_id)
        while not stop_event.is_set():
            try:
                handled = self.run_once(self.limits.batch_size)
            except Exception:
                # A database outage or a bug must not end the thread while the process lives on;
                # the rows of this batch go back to the queue when their lease expires.
                log.exception("outbox dispatcher %s: cycle failed; retrying", self.dispatcher_id)
                handled = 0
            if handled == 0:
                stop_event.wait(self.limits.poll_interval)
        self.close()
        log.info("outbox dispatcher %s stopped", self.dispatcher_id)

    def hand_back(self) -> int:
        """Release every row this dispatcher still leases, so another takes them at once."""
        with self.database.session() as session:
            return outbox.release_owned(session, owner=self.dispatcher_id, due=self.clock())

    def run_once(self, max_rows: int | None = None) -> int:
        """Claim one batch and work through it; return how many rows got an outcome."""
        token = f"{self.dispatcher_id}#{next(self._claims)}"
        with self.database.session() as session:
            rows = outbox.claim(
                session,
                token=token,
                now=self.clock(),
                lease=self._lease,
                limit=max_rows or self.limits.batch_size,
            )
            dms = outbox.cached_dms(session, messages=rows)
        lanes = _lanes(rows)
        if len(lanes) <= 1 or self.limits.senders <= 1:
            return sum(self._send_lane(lane, token, dms) for lane in lanes)
        # Slack answers in 100-300 ms: one call at a time could never fill the budget, so the
        # destinations of a batch are sent side by side (each still in order, one at a time).
        pool = self._senders()
        sending = [pool.submit(self._send_lane, lane, token, dms) for lane in lanes]
        return sum(future.result() for future in sending)

    def _send_lane(self, lane: list[OutboxMessage], token: str, dms: dict[int, str]) -> int:
        """Send one destination's rows in order; stop at the first that must wait."""
        handled = 0
        for index, row in enumerate(lane):
            if self._stop.is_set():
                self._release(lane[index:], token, due=self.clock())
                break
            # Left `sending` by a crash, or its last call got no clear answer: may be in Slack.
            unsure = row.kind == POST and (row.maybe_sent or row.state == SENDING)
            outcome = self._process(Attempt(row, token, maybe_sent=unsure, dm=dms.get(row.id)))
            if outcome is True:
                handled += 1
                continue
            if isinstance(outcome, datetime):  # over budget: the rest may not overtake it
                self._release(lane[index + 1 :], token, due=outcome)
            break
        return handled

    def _release(self, rows: list[OutboxMessage], token: str, *, due: datetime) -> None:
        if rows:
            with self.database.session() as session:
                ids = [row.id for row in rows]
                outbox.release(session, message_ids=ids, token=token, due=due)

    def _hold(self, method: str, until: datetime) -> None:
        with self._pool_lock:
            self._held[method] = max(until, self._held.get(method, until))

    def _held_until(self, buckets: Iterable[str]) -> datetime | None:
        """When a 429 this process saw on one of `buckets` ends, if it has not yet."""
        now = self.clock()
        with self._pool_lock:
            ends = [self._held[b] for b in buckets if self._held.get(b, now) > now]
        return max(ends, default=None)

    def _senders(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.limits.senders, "outbox-send")
            return self._pool

    def close(self) -> None:
        """Let the sender threads go (run_forever does it when it stops)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    # -- one row ----------------------------------------------------------------------------

    def _process(self, attempt: Attempt) -> bool | datetime:
        """Deliver one claimed row: True if done, its new due time if over budget, else False."""
        row = attempt.row
        refused = refusal("chat.update" if row.kind == UPDATE else "chat.postMessage", _args(row))
        if refused is not None:  # never sent, never retried: the row says why
            self._on_permanent(attempt, f"refused by sopbot: {refused}")
            return True
        with self.database.session() as session:
            now = self.clock()
            if row.kind == UPDATE and outbox.superseded(session, message=row):
                # A retry must not undo a newer edit that went out meanwhile.
                log.info("outbox %s: a newer update of the message is queued; skipped", row.key)
                ts, channel = str(row.update_ts), str(row.channel_id)
                outbox.mark_sent(session, message_id=row.id, channel=channel, ts=ts, now=now)
                return True
            rates = self._rates(attempt)
            slot = ratelimit.reserve(
                session,
                workspace_id=row.workspace_id,
                rates=rates,
                now=now,
                max_wait=self.limits.max_wait,
            )
            if not slot.granted:  # over budget: due again when it has room
                outbox.release(session, message_ids=[row.id], token=attempt.token, due=slot.send_at)
                return slot.send_at
        delay = (slot.send_at - self.clock()).total_seconds()
        if delay > 0:
            self.sleep(delay)  # never cut short: the slot is what keeps us within the limit
        held = self._held_until(rate.bucket for rate in rates)
        if held is not None:  # a 429 reached another sender while this one waited
            self._release([row], attempt.token, due=held)
            return held
        with self.database.session() as session:
            # Committed before any call, so a crash from here on leaves a row that may be in Slack.
            marked = outbox.mark_sending(
                session, message=row, token=attempt.token, now=self.clock(), lease=self._lease
            )
        if not marked:
            log.info("outbox %s: lease passed to another dispatcher", row.key)
            return False
        try:
            self._deliver(attempt)
        except SlackApiError as exc:
            self._on_api_error(attempt, exc)
        except (OSError, HTTPException) as exc:
            self._on_transient(attempt, f"{attempt.method}: {type(exc).__name__}: {exc}")
        return True

    def _deliver(self, attempt: Attempt) -> None:
        row = attempt.row
        if row.kind == UPDATE:
            attempt.method = "chat.update"
            reply = self.client.chat_update(channel=row.channel_id, ts=row.update_ts, **_args(row))
            self._on_sent(attempt, reply["channel"], reply["ts"])
            return
        channel = self._conversation(attempt)
        if attempt.maybe_sent:
            earlier = self._find_earlier(attempt, channel)
            if earlier is not None:
                log.info(
                    "outbox %s: an earlier attempt landed (%s); not resending", row.key, earlier
                )
                self._on_sent(attempt, channel, earlier)
                return
            attempt.maybe_sent = False
        attempt.method, attempt.posted, attempt.maybe_sent = "chat.postMessage", True, True
        reply = self.client.chat_postMessage(
            channel=channel,
            **_args(row),
            thread_ts=row.thread_ts,
            metadata={"event_type": outbox.METADATA_EVENT_TYPE, "event_payload": {"key": row.key}},
        )
        if row.channel_id is None and attempt.dm is None:
            attempt.dm, attempt.opened = reply["channel"], True
        self._on_sent(attempt, reply["channel"], reply["ts"])

    def _conversation(self, attempt: Attempt) -> str:
        """Where to post: the row's channel, the person's known DM, else their user ID."""
        row = attempt.row
        if row.channel_id is not None:
            return row.channel_id
        if attempt.dm is None and attempt.maybe_sent:
            # Only a DM's ID can be searched for an earlier attempt; this is the rare path.
            attempt.method = "conversations.open"
            attempt.dm = self.client.conversations_open(users=row.user_id)["channel"]["id"]
            attempt.opened = True
        # chat.postMessage to a user ID lands in the app's DM: one call per message, and the
        # reply names the DM, which is remembered for the next retry and for updates.
        return attempt.dm or str(row.user_id)

    def _find_earlier(self, attempt: Attempt, channel: str) -> str | None:
        """The ts of a message this row already posted, found by its metadata key."""
        row = attempt.row
        since = (row.first_attempt_at or self.clock()) - timedelta(
            seconds=self.limits.history_margin
        )
        args = {"channel": channel, "oldest": f"{since.timestamp():.6f}", "limit": 200}
        read = self.client.conversations_history
        if row.thread_ts:  # thread replies are not in the channel's history
            read, args["ts"] = self.client.conversations_replies, row.thread_ts
        attempt.method = "conversations.replies" if row.thread_ts else "conversations.history"
        cursor = None
        for _ in range(self.limits.history_pages):
            try:
                page = read(include_all_metadata=True, cursor=cursor, **args)
            except SlackApiError as exc:
                error = exc.response.get("error") or ""
                if is_transient(error, status=exc.response.status_code, attempt=2):
                    raise
                # Unreadable history (say, a public channel the bot never joined): losing the
                # message would be worse than the rare duplicate after a crash.
                log.warning("outbox %s: cannot check %s (%s); sending", row.key, channel, error)
                return None
            for message in page.get("messages", []):
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == outbox.METADATA_EVENT_TYPE and (
                    payload.get("key") == row.key
                ):
                    return message["ts"]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    # -- outcomes ----------------------------------------------------------------------------

    def _record(self, attempt: Attempt, outcome: Callable[[Session], object]) -> None:
        """Write an outcome, and a newly opened DM with it (one transaction fewer per person)."""
        row = attempt.row
        with self.database.session() as session:
            if attempt.opened and attempt.dm is not None:
                outbox.remember_dm(
                    session,
                    workspace_id=row.workspace_id,
                    user_id=str(row.user_id),
                    channel_id=attempt.dm,
                    now=self.clock(),
                )
            outcome(session)

    def _on_sent(self, attempt: Attempt, channel: str, ts: str) -> None:
        metrics.SENDS.labels("ok").inc()
        now, message_id = self.clock(), attempt.row.id
        self._record(
            attempt,
            lambda s: outbox.mark_sent(s, message_id=message_id, channel=channel, ts=ts, now=now),
        )

    def _on_api_error(self, attempt: Attempt, exc: SlackApiError) -> None:
        status = exc.response.status_code
        error = exc.response.get("error") or f"http_{status}"
        if attempt.posted and status < 500:
            attempt.maybe_sent = False  # Slack answered: the message was not posted
        if status == 429:
            metrics.SENDS.labels("429").inc()
            retry_after = float(exc.response.headers.get("Retry-After") or 1)
            log.info("%s rate limited for %.0fs", attempt.method, retry_after)
            until = self.clock() + timedelta(seconds=retry_after)
            self._hold(attempt.method, until)
            self._on_transient(attempt, f"{attempt.method}: ratelimited", blocked_until=until)
        elif is_transient(error, status=status, attempt=attempt.row.attempts + 1):
            self._on_transient(attempt, f"{attempt.method}: {error}")
        else:
            self._on_permanent(attempt, f"{attempt.method}: {error}")

    def _on_transient(
        self, attempt: Attempt, error: str, *, blocked_until: datetime | None = None
    ) -> None:
        row, tries = attempt.row, attempt.row.attempts + 1
        if tries >= self.limits.max_attempts:
            self._on_permanent(attempt, f"{error} (gave up after {tries} attempts)")
            return
        if blocked_until is None:  # a 429 is counted as such
            metrics.SENDS.labels("error").inc()
        limits = self.limits
        wait = ratelimit.backoff(
            tries, base=limits.backoff_base, cap=limits.backoff_cap, rng=self.rng
        )
        retry_at = max(self.clock() + timedelta(seconds=wait), blocked_until or self.clock())

        def outcome(session: Session) -> None:
            if blocked_until is not None:  # every dispatcher holds off this method
                ratelimit.block(
                    session,
                    workspace_id=row.workspace_id,
                    bucket=attempt.method,
                    until=blocked_until,
                    now=self.clock(),
                )
            outbox.mark_retry(
                session,
                message_id=row.id,
                token=attempt.token,
                error=error,
                retry_at=retry_at,
                maybe_sent=attempt.maybe_sent,
            )

        self._record(attempt, outcome)

    def _on_permanent(self, attempt: Attempt, error: str) -> None:
        metrics.SENDS.labels("gave_up").inc()
        log.warning("outbox %s failed: %s", attempt.row.key, error)
        message_id, token = attempt.row.id, attempt.token
        self._record(
            attempt,
            lambda s: outbox.mark_failed(s, message_id=message_id, token=token, error=error),
        )

    # -- helpers -----------------------------------------------------------------------------

    def _rates(self, attempt: Attempt) -> list[Rate]:
        """The budgets the calls for this row draw on."""
        row, limits = attempt.row, self.limits
        if row.kind == UPDATE:
            return [Rate.per_minute("chat.update", limits.tier3_per_minute, burst=limits.burst)]
        rates = [
            limits.post_rate(),
            Rate(f"to:{row.channel_id or row.user_id}", 1.0 / limits.per_channel_per_second),
        ]
        if row.channel_id is None and attempt.dm is None and attempt.maybe_sent:
            rates.append(
                Rate.per_minute("conversations.open", limits.tier3_per_minute, burst=limits.burst)
            )
        if attempt.maybe_sent:
            history = "conversations.replies" if row.thread_ts else "conversations.history"
            rates.append(Rate.per_minute(history, limits.tier3_per_minute, burst=limits.burst))
        return rates


def _args(row: OutboxMessage) -> dict[str, Any]:
    """What a row sends: the same for the guard and for Slack."""
    return {"text": row.text, "blocks": row.blocks}


def _lanes(rows: list[OutboxMessage]) -> list[list[OutboxMessage]]:
    """The batch by destination, each in claim order (a thread's steps must not overtake)."""
    lanes: dict[str, list[OutboxMessage]] = {}
    for row in rows:
        lanes.setdefault(str(row.channel_id or row.user_id), []).append(row)
    return list(lanes.values())
