"""`sopbot digest --print|--send`, `sopbot kpis export` and `sopbot sops confirm SLUG`."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, timedelta
from pathlib import Path

from bot.cli.errors import UsageError
from bot.config import Settings
from bot.core.kpis import digest_text, local_day
from bot.db import digest as store
from bot.db import sops as repo
from bot.db.sops import default_workspace
from bot.runtime import Clock, Runtime
from bot.services import digest as digests
from bot.services import sop_review
from bot.services.kpi_export import EXPORT_COLUMNS, export_rows
from bot.wiring import build_runtime

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell
DELIVERY_ROUNDS = 20


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `digest` and `kpis` sub-commands."""
    digest = commands.add_parser("digest", help="print or send the daily KPI digest")
    what = digest.add_mutually_exclusive_group(required=True)
    what.add_argument("--print", action="store_true", help="print it as text, send nothing")
    what.add_argument("--send", action="store_true", help="post it to the managers' channel now")
    digest.add_argument(
        "--date", type=_day, help="the day it reports on, YYYY-MM-DD (default: yesterday)"
    )
    digest.add_argument(
        "--force", action="store_true", help="with --send: send even if that day's was sent"
    )
    digest.set_defaults(handler=run_digest)

    kpis = commands.add_parser("kpis", help="KPI data")
    actions = kpis.add_subparsers(dest="kpis_command", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write daily KPI rows (day x SOP) as CSV")
    export.add_argument("--format", choices=["csv"], default="csv", help="output format: csv")
    export.add_argument("--since", type=_day, required=True, help="first day, YYYY-MM-DD")
    export.add_argument("--until", type=_day, help="last day (default: today)")
    export.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=export_kpis)


def register_confirm(actions: argparse._SubParsersAction) -> None:
    """Add `sops confirm SLUG` (called from sops_cmd, where the `sops` actions live)."""
    confirm = actions.add_parser(
        "confirm", help="record that an SOP was reviewed and is still right (no new revision)"
    )
    confirm.add_argument("slug", help="the SOP's id")
    confirm.set_defaults(handler=confirm_sop)


def _yesterday(runtime: Runtime) -> date:
    from bot.jobs.digest import config_of

    _, config = config_of(runtime)
    return local_day(runtime.clock(), config.zone) - timedelta(days=1)


def run_digest(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Print the digest of a day, or claim and send it."""
    runtime = build_runtime(settings, clock=clock)
    try:
        if args.force and not args.send:
            raise UsageError("--force only goes with --send")
        day = args.date or _yesterday(runtime)
        if args.print:
            return _print(runtime, day)
        return _send(runtime, day, force=args.force)
    finally:
        runtime.database.dispose()


def _print(runtime: Runtime, day: date) -> int:
    from bot.jobs.digest import config_of

    workspace_id, config = config_of(runtime)
    with runtime.database.session() as session:
        result = digests.report(
            session, workspace_id=workspace_id, day=day, tz=config.zone, now=runtime.clock()
        )
    print(digest_text(result.digest), end="")
    return 0


def _send(runtime: Runtime, day: date, *, force: bool) -> int:
    from bot.jobs.digest import send_digest
    from bot.jobs.digest_chart import upload_charts
    from bot.wiring import build_job_context

    if not runtime.settings.slack_bot_token:
        raise UsageError("SLACK_BOT_TOKEN is not set, so nothing can be sent; try --print")
    job = build_job_context(runtime)
    outcome = send_digest(job, day=day, force=force, skip_quiet=False)
    if outcome == "no-channel":
        raise UsageError("no channel for the digest: set MANAGER_CHANNEL or use /sop config")
    if outcome == "taken":
        print(f"the digest for {day} was already sent; --force sends it again")
        return 1
    delivered = _deliver(runtime, day)
    if delivered:
        upload_charts(runtime, client=job.client)
        print(f"sent the digest for {day}")
    else:
        print(f"queued the digest for {day}; `sopbot run` or `sopbot worker` sends it")
    return 0


def _deliver(runtime: Runtime, day: date) -> bool:
    """Send the outbox now (the digest and anything else due); True once the digest is out."""
    from bot.db import outbox
    from bot.jobs.dispatcher import DeliveryLimits
    from bot.wiring import build_dispatcher

    dispatcher = build_dispatcher(runtime, limits=DeliveryLimits())
    for _ in range(DELIVERY_ROUNDS):
        with runtime.database.session() as session:
            row = store.digest_row(session, workspace_id=default_workspace(session).id, day=day)
            if row is not None and outbox.sent_message(session, key=row.message_key or ""):
                return True
        if not dispatcher.run_once():
            break
    return False


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def export_kpis(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Write daily KPI rows as CSV to --output or stdout; the count goes to stderr."""
    from bot.jobs.digest import config_of

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


def confirm_sop(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Record a review of the SOP now; it stops being stale for another review period."""
    runtime = build_runtime(settings, clock=clock)
    try:
        with runtime.database.session() as session:
            workspace = repo.default_workspace(session)
            record = repo.get_sop(session, workspace_id=workspace.id, slug=args.slug)
            if record is None or record.retired_at is not None:
                raise UsageError(f"no published SOP with id {args.slug!r}; see: sopbot sops list")
            sop_review.confirm_review(session, record=record, user_id=None, now=runtime.clock())
            title = record.title
    finally:
        runtime.database.dispose()
    print(f"{args.slug}: review recorded for {title}; next review due in its review period")
    return 0
