"""`sopbot feedback export`: every feedback item as CSV, for review outside Slack."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.cli.errors import UsageError
from bot.clock import Clock
from bot.config import Settings
from bot.db.migrate import open_current
from bot.services.feedback_lists import EXPORT_COLUMNS, export_rows

# A cell starting with one of these runs as a formula in a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `feedback` sub-command."""
    feedback = commands.add_parser("feedback")
    actions = feedback.add_subparsers(dest="feedback_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", help="write every feedback item (anonymous ones without author)"
    )
    export.add_argument("--format", choices=["csv"], default="csv", help="output format: csv")
    export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=export_feedback)


def safe_cell(value: Any) -> str:
    """The value as text that a spreadsheet shows rather than evaluates."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def write_csv(rows: Any, out: TextIO) -> int:
    """Write a header and the rows; return how many rows were written."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({key: safe_cell(value) for key, value in row.items()})
        count += 1
    return count


def export_feedback(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Write the CSV to --output or stdout; the count goes to stderr so stdout stays CSV."""
    if args.output is not None and not args.output.parent.is_dir():
        raise UsageError(f"{args.output.parent} is not a folder; pick an existing one")
    database = open_current(settings.database_url, now=clock())
    try:
        with database.session() as session:
            if args.output is None:
                count = write_csv(export_rows(session), sys.stdout)
            else:
                with args.output.open("w", encoding="utf-8", newline="") as out:
                    count = write_csv(export_rows(session), out)
    finally:
        database.dispose()
    where = args.output or "stdout"
    print(f"exported {count} feedback item(s) to {where}", file=sys.stderr)
    return 0
