"""`sopbot training export`, and the training step `sopbot sops publish` runs after publishing."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import TextIO

from bot.clock import Clock
from bot.config import Settings
from bot.db.migrate import open_current
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.services.publish import PublishReport

# A cell starting with one of these is a formula to a spreadsheet; the quote keeps it text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `training` sub-command."""
    training = commands.add_parser("training")
    actions = training.add_subparsers(dest="training_command", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export", help="write every training record (person x SOP x revision) as CSV"
    )
    export.add_argument("--format", choices=["csv"], default="csv", help="output format")
    export.add_argument("--output", "-o", help="file to write (default: standard output)")
    export.set_defaults(handler=export_training)


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(database: Database, out: TextIO) -> int:
    """Write the header and one row per assignment; return the number of rows."""
    from bot.services.training_records import EXPORT_COLUMNS, export_rows  # export only

    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    with database.session() as session:
        workspace = default_workspace(session)
        for row in export_rows(session, workspace_id=workspace.id):
            writer.writerow([_cell(v) for v in row.as_csv()])
            count += 1
    return count


def export_training(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Print the records as CSV, or write them to --output."""
    database = open_current(settings.database_url, now=clock())
    try:
        if args.output is None:
            write_csv(database, sys.stdout)
            return 0
        with open(args.output, "w", newline="", encoding="utf-8") as out:
            count = write_csv(database, out)
        print(f"wrote {count} training record(s) to {args.output}")
        return 0
    finally:
        database.dispose()


def assign_after_publish(
    settings: Settings, database: Database, report: PublishReport, *, clock: Clock
) -> None:
    """Assign training for the material revisions just published, when Slack is reachable."""
    material = [o for o in report.new_revisions if o.diff is not None and o.diff.material]
    if not material:
        return
    if not settings.slack_bot_token:
        print(
            f"training: {len(material)} material revision(s); `sopbot run` will assign training "
            "(set SLACK_BOT_TOKEN to assign it here)"
        )
        return
    from slack_sdk.errors import SlackApiError  # with a token only: Slack's library is needed

    from bot.jobs.training import assign_training
    from bot.runtime import Runtime
    from bot.wiring import build_job_context

    runtime = Runtime(settings=settings, database=database, clock=clock)
    try:
        results = assign_training(build_job_context(runtime), slugs={o.slug for o in material})
    except (SlackApiError, OSError) as exc:
        print(f"training: not assigned now ({exc}); `sopbot run` assigns it at start-up")
        return
    for result in results:
        print(
            f"training   {result.slug} v{result.revision}: {result.audience} people, "
            f"{result.created} newly assigned, {result.superseded} older superseded"
            + (f", {result.withdrawn} withdrawn (left the audience)" if result.withdrawn else "")
        )
        for problem in result.unresolved:
            print(f"           unresolved {problem}")
        for problem in result.skipped:
            print(f"           skipped {problem}")
        if result.owner_told is False:
            print("           the SOP's owner is not in Slack, so nobody was told")
    print("training DMs wait in the outbox; `sopbot run` or `sopbot worker` sends them")
