"""`sopbot outbox`: what is waiting, what failed and why; `retry` sends failed messages again."""

from __future__ import annotations

import argparse

from bot.clock import Clock
from bot.config import Settings
from bot.db import outbox
from bot.db.migrate import open_current


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `outbox` sub-command."""
    parser = commands.add_parser("outbox")
    parser.add_argument("--limit", type=int, default=20, help="failures to list (default: 20)")
    parser.set_defaults(handler=show_outbox)
    actions = parser.add_subparsers(dest="outbox_command", metavar="ACTION")
    retry = actions.add_parser("retry", help="queue failed messages again (all, or one by --key)")
    retry.add_argument("--key", help="the idempotency key of the one message to retry")
    retry.set_defaults(handler=retry_failed)


def show_outbox(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Print counts by state and the most recent failures."""
    database = open_current(settings.database_url, now=clock())
    with database.session() as session:
        counts = outbox.counts_by_state(session)
        failures = outbox.recent_failures(session, limit=args.limit)
        print("outbox: " + ", ".join(f"{count} {state}" for state, count in counts.items()))
        if failures:
            print("recent failures (sopbot outbox retry [--key KEY] sends them again):")
        for row in failures:
            tries = f"{row.attempts} attempt" + ("" if row.attempts == 1 else "s")
            print(f"  {row.key}  {row.last_error}  ({tries})")
    database.dispose()
    return 0


def retry_failed(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Re-queue failed messages; exit 1 when --key names no failed message."""
    database = open_current(settings.database_url, now=clock())
    with database.session() as session:
        count = outbox.requeue_failed(session, now=clock(), key=args.key)
    database.dispose()
    if args.key is not None and count == 0:
        print(f"no failed message with key {args.key!r}; `sopbot outbox` lists the failures")
        return 1
    print(f"queued {count} failed message(s) again")
    return 0
