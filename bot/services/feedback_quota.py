"""The hourly feedback limit, kept so that the database alone cannot tie anonymous items to anyone.

Named items are counted from the feedback table, which names their author anyway; counting them
in the counters too would let a copy of the database match a counter to a person by their named
items, and the remainder to the anonymous ones. Anonymous items are counted per clock hour under a
keyed hash of the person; the key is derived for each hour from a secret the process has from its
environment and the database never holds, and rows of ended hours are deleted. Nothing stored
says when within the hour an item was counted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import feedback as repo

RATE_LIMIT = 20
_CONTEXT = "sopbot-feedback-quota:"


def process_secret(settings: Settings) -> bytes:
    """The limiter's master key: a Slack secret of this deployment, else random for this process.

    Every process of a deployment shares its environment, so they agree on the key; the random
    fallback (the playground, tests) only makes the limit per process.
    """
    found = settings.slack_signing_secret or settings.slack_app_token or settings.slack_bot_token
    return found.encode() if found else secrets.token_bytes(32)


def window_start(now: datetime) -> datetime:
    """The start of the clock hour (UTC) that `now` falls in."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def window_key(secret: bytes, *, start: datetime) -> bytes:
    """The hour's own key: one person's counters in two hours do not look alike."""
    message = (_CONTEXT + start.isoformat()).encode()
    return hmac.new(secret, message, hashlib.sha256).digest()


def author_hash(secret: bytes, *, workspace_id: int, user_id: str, start: datetime) -> str:
    """HMAC-SHA256 of the person under the hour's key: counts them without naming them."""
    message = f"{workspace_id}:{user_id}".encode()
    return hmac.new(window_key(secret, start=start), message, hashlib.sha256).hexdigest()


def admit(
    session: Session,
    *,
    secret: bytes,
    workspace_id: int,
    user_id: str,
    anonymous: bool,
    now: datetime,
) -> bool:
    """Count one item against its giver's limit for this hour; False (nothing counted) when full."""
    start = window_start(now)
    author = author_hash(secret, workspace_id=workspace_id, user_id=user_id, start=start)
    # Named and anonymous items of one person share the limit: take them one at a time.
    repo.lock_author(session, author=author)
    named = repo.named_count(session, workspace_id=workspace_id, user_id=user_id, since=start)
    unnamed = repo.anonymous_count(session, workspace_id=workspace_id, start=start, author=author)
    if named + unnamed >= RATE_LIMIT:
        return False
    if anonymous:
        repo.count_anonymous(session, workspace_id=workspace_id, start=start, author=author)
    repo.forget_quota_before(session, start=start)
    return True


def forget_ended(session: Session, *, now: datetime) -> int:
    """Delete the counters of every hour that has ended; returns how many went."""
    return repo.forget_quota_before(session, start=window_start(now))
