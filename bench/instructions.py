"""Instructions that the digest and `/sop kpis 30d` from rollups take at 1M and at 5M events.

    .venv/bin/python bench/instructions.py [--sizes 1000000 5000000] [--cache DIR]

On a machine shared with other work, wall and even CPU times move by tens of percent from one
run to the next; valgrind's callgrind counts the instructions a process executes, which other
processes do not change. For each size this copies the SQLite database bench/digest.py cached
(run it first with the same --sizes), rolls up every finished day and today's settled part as
digest.py does, then runs one child process under callgrind per measurement: it opens the
database, makes the call once to warm up, and makes it `--calls` times more. Another child does
only the opening and the warm-up; the difference divided by --calls is one call's instructions.
It prints them per size and the largest size / the smallest, the ratio issue 15 bounds (1.2x).
SQLite only: on PostgreSQL the server's work is in another process, where callgrind cannot see.
A measurement, not a test: it exits 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from digest import NOW, TZ, roll_all  # bench/ is the script's folder: on sys.path

from bot.core.kpis import local_day
from bot.db import migrate
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.services import digest as digests

WHAT = {
    "digest": "yesterday's digest from rollups",
    "kpis": "/sop kpis 30d",
}
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def cached(cache: Path, events: int) -> Path:
    """The database bench/digest.py cached for `events` (its default people, SOPs and days)."""
    found = sorted(cache.glob(f"digest-v*-days30-events{events}-people2000-sops300.db"))
    if not found:
        sys.exit(f"no cached database for {events:,} events in {cache}: run bench/digest.py first")
    return found[-1]


def rolled_copy(source: Path, folder: Path) -> str:
    """A copy of `source` with every day rolled up, as bench/digest.py leaves it."""
    target = folder / source.name
    shutil.copyfile(source, target)
    url = f"sqlite:///{target}"
    database = Database(url)
    migrate.upgrade(database.engine)
    with database.session() as session:
        workspace_id = default_workspace(session).id
    roll_all(database, workspace_id)
    database.dispose()
    return url


def child(url: str, what: str, calls: int) -> None:
    """Open the database, warm up with one call of `what`, then make `calls` more."""
    database = Database(url)
    with database.session() as session:
        workspace_id = default_workspace(session).id
    yesterday = local_day(NOW, TZ) - timedelta(days=1)

    def call() -> object:
        with database.session() as session:
            if what == "digest":
                return digests.report(
                    session, workspace_id=workspace_id, day=yesterday, tz=TZ, now=NOW
                )
            return digests.kpis(session, workspace_id=workspace_id, tz=TZ, days=30, now=NOW)

    for _ in range(1 + calls):
        call()
    database.dispose()


def instructions(url: str, what: str, calls: int) -> int:
    """Instructions a child process executes, counted by callgrind."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            url,
            what,
            str(calls),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # the same sets and dicts in every run
    )
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "sopbot-bench")
    parser.add_argument("--calls", type=int, default=1, help="measured calls after the warm-up")
    parser.add_argument(
        "--child", nargs=3, metavar=("URL", "WHAT", "CALLS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        url, what, calls = args.child
        child(url, what, int(calls))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    print("events | measured | instructions per call (millions)", flush=True)
    found: dict[str, dict[int, int]] = {what: {} for what in WHAT}
    with tempfile.TemporaryDirectory() as folder:
        for events in args.sizes:
            url = rolled_copy(cached(args.cache, events), Path(folder))
            warm = {what: instructions(url, what, 0) for what in WHAT}  # open, warm up
            for what, label in WHAT.items():
                total = instructions(url, what, args.calls)
                found[what][events] = (total - warm[what]) // args.calls
                print(f"{events:,} | {label} | {found[what][events] / 1e6:,.1f}", flush=True)
            Path(url.removeprefix("sqlite:///")).unlink()
    small, large = min(args.sizes), max(args.sizes)
    for what, label in WHAT.items():
        ratio = found[what][large] / found[what][small]
        print(f"{label}: {large:,} / {small:,} events: {ratio:.2f}x instructions")


if __name__ == "__main__":
    main()
