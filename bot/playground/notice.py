"""A line Slack itself shows one person in the playground (not the app's)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    """A line from Slack itself (not the app), shown only to one person: "/x is not a command"."""

    channel: str
    user: str
    text: str
    ts: str
    thread_ts: str | None = None
