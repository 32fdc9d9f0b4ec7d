"""The `sopbot` command: parses arguments, reads settings once, runs one sub-command."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from dotenv import load_dotenv

from bot import logs
from bot.cli.errors import UsageError
from bot.clock import Clock, utc_now
from bot.config import ConfigError, Settings
from bot.slack.guard import log_redaction

# Every sub-command: its module, imported only when that command runs (a one-shot command such
# as `sopbot sops publish` need not load Slack's libraries, the web server or the scheduler),
# and the help `sopbot --help` lists: written here only, since the modules are not imported
# to list them (tests/unit/test_cli.py checks each module parses as it says).
COMMANDS = {
    "run": ("bot.cli.run_cmd", "run the Slack bot (HTTP on PORT, or Socket Mode)"),
    "play": (
        "bot.cli.play_cmd",
        "try the whole bot in a browser against a simulated Slack (no workspace needed)",
    ),
    "sops": ("bot.cli.sops_cmd", "check, publish and show SOPs"),
    "db": ("bot.cli.db_cmd", "manage the database schema"),
    "outbox": ("bot.cli.outbox_cmd", "show queued and failed messages; retry failures"),
    "worker": (
        "bot.cli.worker_cmd",
        "send the outbox and run scheduled jobs, without serving Slack requests",
    ),
    "feedback": ("bot.cli.feedback_cmd", "export feedback for offline review"),
    "training": ("bot.cli.training_cmd", "training records"),
    "digest": ("bot.cli.digest_cmd", "print or send the daily KPI digest"),
    "kpis": ("bot.cli.kpis_cmd", "KPI data"),
}


class LazyCommands(argparse._SubParsersAction):
    """Sub-commands listed by name and help; a command's module makes its parser when chosen."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._modules: dict[str, str] = {}

    def add_command(self, name: str, *, module: str, help: str) -> None:
        """List `name` with `help`; its module registers the real parser on first use."""
        self.add_parser(name, help=help, add_help=False)  # a stand-in: only its name is used
        self._modules[name] = module

    def load(self, name: str) -> argparse.ArgumentParser:
        """Import the command's module and put the parser its `register` makes in place."""
        module = self._modules.pop(name, None)
        if module is not None:
            scratch = argparse._SubParsersAction(
                option_strings=[], prog=self._prog_prefix, parser_class=self._parser_class
            )
            importlib.import_module(module).register(scratch)
            self._name_parser_map[name] = scratch._name_parser_map[name]
        return self._name_parser_map[name]

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if values and values[0] in self._modules:
            self.load(values[0])
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command listed (each one's module loads on use)."""
    parser = argparse.ArgumentParser(
        prog="sopbot", description="Live by your standard operating procedures, inside Slack."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, action=LazyCommands
    )
    for name, (module, help) in COMMANDS.items():
        commands.add_command(name, module=module, help=help)
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
