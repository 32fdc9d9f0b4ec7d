"""The `sopbot` command: parses arguments, reads settings once, runs one sub-command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dotenv import load_dotenv

from bot import logs
from bot.cli import (
    db_cmd,
    digest_cmd,
    feedback_cmd,
    kpis_cmd,
    outbox_cmd,
    play_cmd,
    run_cmd,
    sops_cmd,
    training_cmd,
    worker_cmd,
)
from bot.cli.errors import UsageError
from bot.config import ConfigError, Settings
from bot.runtime import Clock, utc_now
from bot.slack.guard import log_redaction


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="sopbot", description="Live by your standard operating procedures, inside Slack."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = (
        run_cmd,
        play_cmd,
        sops_cmd,
        db_cmd,
        outbox_cmd,
        worker_cmd,
        feedback_cmd,
        training_cmd,
        digest_cmd,
        kpis_cmd,
    )
    for module in modules:
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock = utc_now) -> int:
    """Run `sopbot` with `argv`, stamping times with `clock`; return the exit code."""
    args = build_parser().parse_args(argv)
    # The real environment wins over .env, so deployments can override a developer's file.
    load_dotenv(".env", override=False)
    try:
        settings = Settings.from_env()
        logs.configure(
            log_format=settings.log_format, verbose=args.verbose, filters=[log_redaction.FILTER]
        )
        return int(args.handler(args, settings, clock) or 0)
    except (ConfigError, UsageError) as exc:
        print(f"sopbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
