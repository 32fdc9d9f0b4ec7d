"""Reading Slack payloads: who sent a request, the IDs a button carries, where it was pressed.

Every value comes from a signed request, but a person can craft one: IDs that are malformed
or out of range read as None, and nothing here trusts more than the payload says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_DIGITS = 18  # an ID that fits a 64-bit integer


@dataclass(frozen=True)
class Caller:
    """Who sent a request, as its signed payload says: the person, and their own team if given."""

    user_id: str
    team: str | None = None


def caller_of(body: dict[str, Any]) -> Caller | None:
    """The person behind a command, interaction or event payload; None when there is none."""
    if "command" in body:
        user_id = body.get("user_id")
        # A command's team_id is the workspace it was typed in, not the person's own team.
        return Caller(str(user_id)) if user_id else None
    user = body.get("user")
    if isinstance(user, dict) and user.get("id"):
        return Caller(str(user["id"]), user.get("team_id") or None)
    event = body.get("event")
    if isinstance(event, dict) and isinstance(event.get("user"), str):
        return Caller(event["user"], event.get("user_team") or None)
    return None


def sender(body: dict[str, Any]) -> Caller:
    """The person behind a command or interaction (Slack always names one)."""
    found = caller_of(body)
    if found is None:
        raise ValueError(f"a {body.get('type') or 'request'} without a person")
    return found


def number(value: str | None) -> int | None:
    """A button value as a positive ID; anything forged or malformed is None."""
    return int(value) if value and value.isdigit() and len(value) <= MAX_DIGITS else None


def numbers(value: str | None, count: int) -> tuple[int, ...] | None:
    """`"12:3:1"` as `count` numbers; anything forged or malformed is None."""
    parts = (value or "").split(":")
    if len(parts) != count or not all(p.isdigit() and len(p) <= MAX_DIGITS for p in parts):
        return None
    return tuple(int(p) for p in parts)


def channel_of(body: dict[str, Any]) -> str:
    """Where a button was pressed; empty for the App Home, where runs go to a DM."""
    return (body.get("channel") or {}).get("id") or body["container"].get("channel_id", "")


def pressed_ts(body: dict[str, Any]) -> str | None:
    """The ts of the (non-ephemeral) message whose button was pressed."""
    container = body.get("container") or {}
    return None if container.get("is_ephemeral") else container.get("message_ts")
