"""`sopbot digest --print|--send`: the daily KPI digest, printed or sent now."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from bot.cli.errors import UsageError
from bot.config import Settings
from bot.core.kpis import digest_text, local_day
from bot.db import digest as store
from bot.db.sops import default_workspace
from bot.runtime import Clock, Runtime
from bot.services import digest as digests

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell
DELIVERY_ROUNDS = 20


def iso_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `digest` sub-command."""
    digest = commands.add_parser("digest")
    what = digest.add_mutually_exclusive_group(required=True)
    what.add_argument("--print", action="store_true", help="print it as text, send nothing")
    what.add_argument("--send", action="store_true", help="post it to the managers' channel now")
    digest.add_argument(
        "--date", type=iso_day, help="the day it reports on, YYYY-MM-DD (default: yesterday)"
    )
    digest.add_argument(
        "--force", action="store_true", help="with --send: send even if that day's was sent"
    )
    digest.set_defaults(handler=run_digest)


def _yesterday(runtime: Runtime) -> date:
    from bot.jobs.digest import config_of

    _, config = config_of(runtime)
    return local_day(runtime.clock(), config.zone) - timedelta(days=1)


def run_digest(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Print the digest of a day, or claim and send it."""
    from bot.wiring import build_runtime  # on demand: it loads Slack and the jobs

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
