"""How long `sopbot play` takes to make its month of history, in total and phase by phase.

    .venv/bin/python bench/history.py [--start 2026-11-25T10:00] [--database-url URL]
                                      [--profile FILE] [--repeat N]

It starts the playground as `sopbot play` does (a fresh SQLite file, or a throwaway PostgreSQL
schema with --database-url; the history's own seed) and prints the history's wall and CPU
seconds and SQL statements, then per phase (runs, runs pressed in Slack, quizzes, publishing,
scheduler ticks and their jobs, outbox, ...) the seconds, calls and statements. Then it times
the demo's first tick job by job and the page's "To next digest", and prints the longest
transactions of each stretch. `--profile FILE` writes cProfile stats (CPU time) of the
history. A measurement, not a test: it exits 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import logging
import os
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from common import fresh_database, python_speed  # bench/ is the script's folder: on sys.path
from sqlalchemy import event

from bot.config import Settings
from bot.playground import actions, history
from bot.playground.hands import SlackHands
from bot.playground.ticker import Ticker
from bot.playground.wiring import Playground
from bot.services import runs

SAMPLE_SOPS = Path(__file__).resolve().parent.parent / "sops"
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # the history test's start: a Wednesday

# (phase, owner, attribute): what each phase's time is spent in. Nested phases (the outbox
# inside a tick) count in both, so the phases add up to more than the total.
PHASES = (
    ("runs.start_run", runs, "start_run"),
    ("runs.complete_step", runs, "complete_step"),
    ("runs.stop_run", runs, "stop_run"),
    ("runs in Slack", SlackHands, "start"),
    ("runs in Slack", SlackHands, "done"),
    ("runs in Slack", SlackHands, "take"),
    ("runs in Slack", SlackHands, "stop"),
    ("lookup", history, "lookup"),
    ("quizzes", history._Story, "_quizzes"),
    ("feedback", history.giving, "give"),
    ("feedback handling", history.handling, "change_status"),
    ("publish", history._Story, "_publish"),
    ("training waves", history, "assign_training"),
    ("scheduler ticks", history._Story, "_tick"),
    ("digest skips", history._Story, "_digests_from"),
    ("outbox", Ticker, "drain"),
)


class Spent(NamedTuple):
    """Wall-clock and CPU seconds (the process's, all threads: the fake Slack's too)."""

    wall: float
    cpu: float
    statements: int = 0


class Phases:
    """Wall time and calls per phase, by wrapping the functions the history calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.statements: dict[str, int] = defaultdict(int)
        self.active: list[str] = []
        self.transactions: list[tuple[float, str]] = []  # (seconds, innermost phase)
        self.held: dict[str, str] = {}  # stretch -> its longest transactions
        self._undo: list[tuple[object, str, object]] = []

    def wrap(self) -> None:
        for name, owner, attribute in PHASES:
            original = getattr(owner, attribute)
            self._undo.append((owner, attribute, original))
            setattr(owner, attribute, self._timed(name, original))

    def wrap_jobs(self, ticker: Ticker, prefix: str = "job ") -> None:
        """Time each scheduled job of `ticker` as its own phase, "job <id>"."""
        for job in ticker.jobs:
            if not getattr(job.func, "timed", False):
                job.func = self._timed(f"{prefix}{job.id}", job.func)

    def unwrap(self) -> None:
        for owner, attribute, original in reversed(self._undo):
            setattr(owner, attribute, original)
        self._undo.clear()

    def _timed(self, name: str, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            if isinstance(args[0] if args else None, history._Story):
                self.wrap_jobs(args[0].play.ticker)
            begun = time.perf_counter()
            self.active.append(name)
            try:
                return function(*args, **kwargs)
            finally:
                self.active.pop()
                self.seconds[name] += time.perf_counter() - begun
                self.calls[name] += 1

        timed.timed = True  # type: ignore[attr-defined]
        return timed

    def begin(self, connection: Any) -> None:
        connection.info["bench_begun"] = time.perf_counter()

    def end(self, connection: Any) -> None:
        """Note how long the transaction held its connection (SQLite: the write lock), and where."""
        begun = connection.info.pop("bench_begun", None)
        if begun is not None:
            where = self.active[-1] if self.active else "(outside the phases)"
            self.transactions.append((time.perf_counter() - begun, where))

    def longest(self, count: int = 3) -> str:
        """The longest transactions since the last call, as "0.12 s in <phase>"."""
        found, self.transactions = sorted(self.transactions, reverse=True), []
        return ", ".join(f"{seconds:.2f} s in {where}" for seconds, where in found[:count])

    def statement(self, *_: object) -> None:
        """Count a SQL statement in each phase it runs in (and in the total)."""
        self.statements["total"] += 1
        for name in set(self.active):
            self.statements[name] += 1


def measure(
    url: str, start: datetime, profile: str | None
) -> tuple[Spent, Spent, Spent, Phases, Playground]:
    """Start a playground with history on `url`; the history's seconds and its phases.

    Then the demo's first tick (every job is due: it runs on the ticker's thread while the page
    is already up), timed the same way, with phases named "first tick <job>"; then the page's
    "To next digest" (its two ticks). Returns the three Spents, the phases and the playground.
    """
    phases = Phases()
    play = Playground(Settings(sops_dir=SAMPLE_SOPS), database_url=url, port=0, start=start,
                      watch=False, history=True)  # fmt: skip
    # CPU time, not wall: a busy machine would otherwise blame whatever waited for a core.
    profiler = cProfile.Profile(time.process_time) if profile else None
    original, ticker_start = Playground._play_history, Ticker.start
    spent: list[Spent] = []

    def timed_history(self: Playground) -> None:
        phases.wrap()
        engine = self.runtime.database.engine
        event.listen(engine, "before_cursor_execute", phases.statement)
        event.listen(engine, "begin", phases.begin)
        for end in ("commit", "rollback"):
            event.listen(engine, end, phases.end)
        begun, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        try:
            original(self)
        finally:
            if profiler:
                profiler.disable()
            wall, cpu = time.perf_counter() - begun, time.process_time() - cpu
            spent.append(Spent(wall, cpu, phases.statements["total"]))
            phases.held["history"] = phases.longest()
            phases.unwrap()

    Playground._play_history = timed_history  # type: ignore[method-assign]
    Ticker.start = lambda self: self  # type: ignore[method-assign]  # the bench ticks, once
    try:
        play.start()
        phases.wrap_jobs(play.ticker, prefix="first tick ")
        phases.held["start-up"] = phases.longest()
        begun, cpu = time.perf_counter(), time.process_time()
        play.ticker.tick()
        spent.append(Spent(time.perf_counter() - begun, time.process_time() - cpu))
        phases.held["first tick"] = phases.longest()
        begun, cpu = time.perf_counter(), time.process_time()
        actions.advance(play, to="digest")  # the page's "To next digest"
        spent.append(Spent(time.perf_counter() - begun, time.process_time() - cpu))
        phases.held["To next digest"] = phases.longest()
    finally:
        Playground._play_history, Ticker.start = original, ticker_start  # type: ignore[method-assign]
        play.stop()
    if profiler and profile:
        profiler.dump_stats(profile)
    return spent[0], spent[1], spent[2], phases, play


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--start", type=datetime.fromisoformat, default=START,
        help="the playground's start (UTC; default the history test's)",
    )  # fmt: skip
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite file)")
    parser.add_argument("--profile", help="write cProfile stats of the history here")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    start = args.start if args.start.tzinfo else args.start.replace(tzinfo=UTC)
    logging.basicConfig(level=logging.WARNING)
    print(f"load average {os.getloadavg()[0]:.2f}, python speed {python_speed():.3f} s")
    for n in range(args.repeat):
        with (
            tempfile.TemporaryDirectory(prefix="bench-history-") as scratch,
            fresh_database(args.database_url, Path(scratch), prefix="history") as url,
        ):
            profile = args.profile if n == 0 else None
            spent, first, advance, phases, play = measure(url, start, profile)
        month = play.history
        assert month is not None
        print(f"history: {spent.wall:.2f} s ({spent.cpu:.2f} s CPU), "
              f"{sum(month.started.values())} runs, {month.calls} timeline items, "
              f"{spent.statements} SQL statements, "
              f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
        jobs = sorted(n for n in phases.calls if n.startswith("job "))
        for name in [*dict.fromkeys(p[0] for p in PHASES), *jobs]:
            show(phases, name)
        print(f"first tick of the demo: {first.wall:.2f} s ({first.cpu:.2f} s CPU)")
        for name in sorted(n for n in phases.calls if n.startswith("first tick ")):
            show(phases, name)
        print(f"To next digest (two ticks): {advance.wall:.2f} s ({advance.cpu:.2f} s CPU)")
        print("longest transactions (SQLite: the write lock held; requests wait for it):")
        for stretch, longest in phases.held.items():
            print(f"  {stretch}: {longest}")


def show(phases: Phases, name: str) -> None:
    """One phase's line: seconds, calls, SQL statements."""
    if phases.calls[name]:
        print(f"  {name:28} {phases.seconds[name]:6.2f} s {phases.calls[name]:5d} calls "
              f"{phases.statements[name]:6d} statements")  # fmt: skip


if __name__ == "__main__":
    main()
