"""`sopbot play`: the whole bot in a browser, against a simulated Slack on this machine."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import shutil
import signal
import sys
import tempfile
import threading
from datetime import datetime
from importlib import resources
from pathlib import Path

from bot.cli.errors import UsageError
from bot.clock import Clock
from bot.config import Settings
from bot.db import served
from bot.db.session import Database

# pyproject.toml maps the top-level sops/ folder to this package, so a wheel has the samples too.
SAMPLE_SOPS_PACKAGE = "bot._sample_sops"


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `play` sub-command."""
    play = commands.add_parser("play")
    play.add_argument(
        "--database-url",
        help="keep the playground's data in this database (default: a fresh temporary SQLite "
        "file, so a demo never touches DATABASE_URL)",
    )
    play.add_argument(
        "--empty",
        action="store_true",
        help="start with a blank workspace instead of a month of the seeded team's history",
    )
    play.set_defaults(handler=run_play)


def run_play(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    return play(settings, database_url=args.database_url, start=clock(), history=not args.empty)


def play_instead(settings: Settings, *, reason: str, start: datetime) -> int:
    """`sopbot run` without Slack credentials: say so in one line, then start the playground."""
    print(f"sopbot: {reason}; starting the playground instead", file=sys.stderr, flush=True)
    return play(settings, start=start)


def play(
    settings: Settings, *, start: datetime, database_url: str | None = None, history: bool = True
) -> int:
    """Serve the playground on 127.0.0.1:PORT from `start` until SIGINT or SIGTERM."""
    from bot.playground.wiring import Playground

    # The playground runs the scheduler's jobs itself and never starts APScheduler, whose
    # "added tentatively" lines would only confuse.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if database_url:
        check_playground_database(database_url)
    with tempfile.TemporaryDirectory(prefix="sopbot-play-") as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'playground.db'}"
        sops_dir = settings.sops_dir
        if not sops_dir.is_dir():  # e.g. installed from a wheel, started in an empty folder
            settings = dataclasses.replace(settings, sops_dir=copy_sample_sops(Path(scratch)))
        playground = Playground(settings, database_url=url, start=start, history=history)
        try:
            playground.start()
        except OSError as exc:
            playground.stop()
            raise UsageError(
                f"cannot serve the playground on 127.0.0.1:{settings.port} ({exc.strerror or exc});"
                " set PORT to a free port"
            ) from None
        stop = threading.Event()
        # Handlers go in before the URL is printed: whoever reads that line may stop us at once.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if settings.sops_dir != sops_dir:
            print(
                f"sopbot: {sops_dir} is not a folder; the playground uses a copy of the sample "
                f"SOPs in {settings.sops_dir}",
                file=sys.stderr,
                flush=True,
            )
        print(f"Playground: {playground.url}", flush=True)
        # A timed wait hands the main thread back regularly, so the signal handler runs promptly.
        while not stop.is_set():
            stop.wait(1.0)
        playground.stop()
    return 0


def check_playground_database(url: str) -> None:
    """Refuse a database that served a real Slack, or that the playground did not make."""
    database = Database(url)
    try:
        found = served.marks(database.engine)
    finally:
        database.dispose()
    if found is None:
        return
    # The playground sends the outbox to its simulated Slack and publishes its SOPs: in a real
    # database, people would never get their messages and the demo's data would mix with theirs.
    fresh = "leave out --database-url, or give it a new, empty database"
    if served.REAL_SLACK in found:
        raise UsageError(
            f"--database-url has served a real Slack workspace (sopbot run or sopbot worker, "
            f"since {found[served.REAL_SLACK][:10]}); the playground would send its messages "
            f"to the simulated Slack: {fresh}"
        )
    if served.PLAYGROUND not in found:
        raise UsageError(
            "--database-url holds data the playground did not make (sopbot run, sops publish, "
            f"or a playground older than this check), perhaps messages for a real Slack: {fresh}"
        )


def copy_sample_sops(scratch: Path) -> Path:
    """Copy the sample SOPs shipped with sopbot into `scratch`/sops, where a demo may edit them."""
    samples = resources.files(SAMPLE_SOPS_PACKAGE)
    assert isinstance(samples, Path), samples  # pip installs packages as files, never zipped
    copy = scratch / "sops"
    shutil.copytree(samples, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return copy
