"""`sopbot kpis export`: daily KPI rows (day x SOP) as CSV, for spreadsheets and BI tools."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from bot.cli.digest_cmd import iso_day
from bot.cli.errors import UsageError
from bot.clock import Clock
from bot.config import Settings
from bot.core.kpis import local_day
from bot.services.kpi_export import EXPORT_COLUMNS, export_rows

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `kpis` sub-command."""
    kpis = commands.add_parser("kpis")
    actions = kpis.add_subparsers(dest="kpis_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write daily KPI rows (day x SOP) as CSV")
    export.add_argument("--format", choices=["csv"], default="csv", help="output format: csv")
    export.add_argument("--since", type=iso_day, required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--until", type=iso_day, help="last day (default: today)")
    export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=export_kpis)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def export_kpis(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Write daily KPI rows as CSV to --output or stdout; the count goes to stderr."""
    from bot.jobs.digest import config_of
    from bot.wiring import build_runtime  # on demand: it loads Slack and the jobs

    if args.output is not None and not args.output.parent.is_dir():
        raise UsageError(f"{args.output.parent} is not a folder; pick an existing one")
    runtime = build_runtime(settings, clock=clock)
    try:
        workspace_id, config = config_of(runtime)
        now = runtime.clock()
        until = args.until or local_day(now, config.zone)
        if args.since > until:
            raise UsageError(f"--since {args.since} is after {until}")
        out = sys.stdout if args.output is None else args.output.open("w", encoding="utf-8")
        try:
            writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            count = 0
            with runtime.database.session() as session:
                for row in export_rows(
                    session, workspace_id=workspace_id, tz=config.zone,
                    since=args.since, until=until, now=now,
                ):  # fmt: skip
                    writer.writerow({k: _cell(v) for k, v in row.items()})
                    count += 1
        finally:
            if out is not sys.stdout:
                out.close()
    finally:
        runtime.database.dispose()
    print(f"exported {count} row(s) to {args.output or 'stdout'}", file=sys.stderr)
    return 0
