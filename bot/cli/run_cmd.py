"""`sopbot run`: serve the bot."""

from __future__ import annotations

import argparse

from bot.cli.errors import UsageError
from bot.config import MANIFEST_HINT, Settings


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `run` sub-command."""
    run = commands.add_parser("run", help="run the Slack bot (HTTP on PORT, or Socket Mode)")
    run.set_defaults(handler=run_bot)


def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """Check the Slack credentials, then serve."""
    if not settings.slack_bot_token:
        raise UsageError(
            "SLACK_BOT_TOKEN is not set: put it in .env (the Bot User OAuth Token, xoxb-..., "
            f"under OAuth & Permissions after you {MANIFEST_HINT})"
        )
    raise UsageError("serving Slack is not built yet (see issue 3)")
