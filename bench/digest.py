"""How fast the daily digest is as the event log grows: from raw records versus from rollups.

    .venv/bin/python bench/digest.py [--sizes 100000 1000000] [--people 2000] [--sops 300]
                                     [--days 30] [--database-url postgresql+psycopg://...]
                                     [--skip-sqlite] [--cache DIR | --no-cache] [--rounds 15]
                                     [--profile N]

For each size (events in the log) and each database (SQLite always; PostgreSQL too with
--database-url), it publishes --sops synthetic SOPs, bulk-inserts runs with their step
visits, their events (run_started, step_done, run_completed / run_abandoned) and /sop
lookups (hits and misses) spread over the last --days days for --people people, plus
training assignments, quiz attempts and feedback, and then times:

- raw: yesterday's digest computed from the raw records (no rollups exist yet);
- one day: rolling up one finished day;
- all days: the first rollup pass over every finished day, today's settled part and the spans
  `/sop kpis` reads (bot/services/kpi_spans.py), as the hourly job builds them;
- rollups: the same digest once the days are rolled up (the daily job's case);
- /sop kpis 30d from rollups plus the raw records today's settled part leaves out.

The sizes of one database are populated first and kept open; the two from-rollups timings are
then taken in turns, the sizes alternating, --rounds times, and their medians reported. It
checks that both digests are equal and prints one line per size and the raw/rollups ratio,
then per database the largest size's time over the smallest's (the target: at most 1.2x from
1M to 5M events). `--profile N` prints the top N entries of a cProfile of both from-rollups
timings. A populated SQLite file is kept in --cache (~/.cache/sopbot-bench; 1.6 GB at 5M) and
copied for the next run of the same sizes; PostgreSQL is filled with COPY. A measurement, not a
test: it exits 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing
import os
import pstats
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from common import fresh_database, python_speed  # bench/ is the script's folder: on sys.path
from sqlalchemy import JSON, func, select, text

from bot.core.kpis import local_day
from bot.db import migrate
from bot.db.models import Event, Run, RunVisit, SopRecord
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.db.training import Assignment, QuizAnswer, QuizAttempt
from bot.services import digest as digests
from bot.services import kpi_rollups, kpi_spans
from bot.services.publish import publish_directory
from bot.slack.renderers import build_renderers

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Berlin: digest time
GENERATOR = 3  # bump when populate() makes different data: cached databases are then unused
BATCH = 20_000
CHUNK = 250_000  # events generated before they are written
EVENTS_PER_RUN = 7.5  # ~1 start + ~4.5 steps done + 1 end, plus ~1 lookup
WORDS = ("refund", "invoice", "onboard", "deploy", "incident", "vendor", "payroll", "access",
         "laptop", "escalate", "audit", "backup", "contract", "shipping", "return")  # fmt: skip


def write_sops(directory: Path, count: int, rng: random.Random) -> None:
    """`count` SOP files with 4-8 steps, a 2-question quiz and a 90-day review period."""
    for n in range(count):
        a, b = rng.sample(WORDS, 2)
        steps = "\n".join(f"### Step {s} of {a}\nDo part {s}.\n" for s in range(rng.randint(4, 8)))
        directory.joinpath(f"sop-{n:03d}.md").write_text(
            f"---\nid: sop-{n:03d}\nowner: U{n:08d}\ntags: [{a}, {b}]\nreview_every: 90d\n---\n"
            f"# {a.title()} {b} procedure {n}\n\n## Steps\n{steps}\n## Quiz\n"
            "1. First? (step 1)\n   - [x] yes\n   - [ ] no\n"
            "2. Second? (step 2)\n   - [ ] no\n   - [x] yes\n"
        )


def insert(database: Database, table, rows: list[dict]) -> None:
    """Bulk insert: COPY on PostgreSQL (10x faster than executemany), else batched executemany."""
    if rows and database.dialect == "postgresql":
        copy_rows(database, table, rows)
        return
    for start in range(0, len(rows), BATCH):
        with database.engine.begin() as conn:
            conn.execute(table.__table__.insert(), rows[start : start + BATCH])


def copy_rows(database: Database, table, rows: list[dict]) -> None:
    """COPY `rows` (dicts with the same keys) into `table`; JSON columns as JSON text."""
    columns = list(rows[0])
    json_columns = {c.name for c in table.__table__.columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    with database.engine.begin() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        with cursor.copy(f"COPY {table.__tablename__} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(row[c]) if c in json_columns else row[c] for c in columns]
                )
        if "id" in columns:  # ids were given: move the sequence past them, as inserts would
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.__tablename__}', "
                              f"'id'), (SELECT max(id) FROM {table.__tablename__}))"))  # fmt: skip


def cached_populate(database: Database, url: str, cache: Path | None, **sizes: int) -> dict:
    """`populate`, or on SQLite a copy of the file an earlier run populated the same way.

    Generating 5M events takes minutes. The cache key holds every size and GENERATOR; a copy
    made before a schema change is brought to head by the migrations, as a real install is.
    """
    if cache is None or database.dialect != "sqlite":
        return populate_apart(url, **sizes)
    key = "-".join(f"{k}{v}" for k, v in sorted(sizes.items()))
    stored = cache / f"digest-v{GENERATOR}-{key}.db"
    target = Path(url.removeprefix("sqlite:///"))
    if stored.exists() and stored.with_suffix(".json").exists():
        database.dispose()
        shutil.copyfile(stored, target)
        migrate.upgrade(database.engine)
        return json.loads(stored.with_suffix(".json").read_text())
    made = populate_apart(url, **sizes)
    database.dispose()
    cache.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target, stored)
    stored.with_suffix(".json").write_text(json.dumps(made))
    return made


def populate_apart(url: str, **sizes: int) -> dict:
    """`populate`, in a child process: the timing process's heap then holds none of the
    millions of rows generated (in-process, they slowed the later timings at 5M only)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_populate_url, url, **sizes).result()


def _populate_url(url: str, **sizes: int) -> dict:
    database = Database(url)
    try:
        return populate(database, **sizes)
    finally:
        database.dispose()


def populate(database: Database, *, events: int, people: int, sops: int, days: int) -> dict:
    """Synthetic SOPs, runs, visits, events, training and feedback; counts of what was made."""
    # The SOPs and training are the same at every size (a fixed seed): only the log grows.
    rng, fixed = random.Random(events), random.Random(0)
    with tempfile.TemporaryDirectory() as folder:
        write_sops(Path(folder), sops, fixed)
        with database.session() as session:
            report = publish_directory(
                session,
                directory=Path(folder),
                now=NOW - timedelta(days=120),
                renderers=build_renderers().feedback,
            )
            assert not report.errors, report.errors[:3]
    with database.session() as session:
        workspace_id = default_workspace(session).id
        catalog = [
            (s.id, s.current_revision_id, len(s.current_revision.content["steps"]))
            for s in session.scalars(select(SopRecord))
        ]
    users = [f"U{n:08d}" for n in range(people)]
    runs, visits, log = [], [], []
    run_id = visit_id = logged = 0
    span = days * 86400

    def flush() -> int:
        # In chunks, so 5 million events never sit in memory at once; runs go first (FKs).
        for row in log:
            row.setdefault("step_number", None)
        insert(database, Run, runs)
        insert(database, RunVisit, visits)
        insert(database, Event, log)
        written = len(log)
        runs.clear()
        visits.clear()
        log.clear()
        return written

    while logged + len(log) < events:
        if len(log) >= CHUNK:
            logged += flush()
        sop_id, revision_id, steps = rng.choice(catalog)
        user = rng.choice(users)
        started = NOW - timedelta(seconds=rng.randrange(span))
        roll = rng.random()
        status = "completed" if roll < 0.7 else "abandoned" if roll < 0.92 else "active"
        reached = steps if status == "completed" else rng.randint(1, steps)
        run_id += 1
        base = dict(workspace_id=workspace_id, user_id=user, sop_id=sop_id, revision_id=revision_id,
                    run_id=run_id, data={})  # fmt: skip
        kind = "lookup" if rng.random() < 0.8 else "lookup_miss"
        query = " ".join(rng.sample(WORDS, 2)) if kind == "lookup_miss" else "x"
        log.append(dict(base, at=started - timedelta(seconds=2), kind=kind, run_id=None,
                        revision_id=None, sop_id=sop_id if kind == "lookup" else None,
                        data={"query": query, "result": "start"}))  # fmt: skip
        log.append(dict(base, at=started, kind="run_started", step_number=1))
        at = started
        for step in range(1, reached + 1):
            took = timedelta(seconds=rng.lognormvariate(4.5, 0.8))
            if at + took > NOW:  # still on this step at NOW: the run is open, as it would be
                status, reached = "active", step
            done = step < reached or status == "completed"
            visit_id += 1
            visits.append(dict(id=visit_id, run_id=run_id, step_number=step, started_at=at,
                               finished_at=at + took if done or status == "abandoned" else None,
                               outcome="done" if done else None))  # fmt: skip
            if status == "active" and step == reached:
                break
            at += took
            if done:
                log.append(dict(base, at=at, kind="step_done", step_number=step,
                                data={"seconds": took.total_seconds()}))  # fmt: skip
        if status != "active":
            log.append(dict(base, at=at, kind=f"run_{status}", step_number=reached))
        runs.append(dict(id=run_id, workspace_id=workspace_id, sop_id=sop_id,
                         revision_id=revision_id, user_id=user, channel_id="C0BENCH",
                         status=status, current_step=reached, started_at=started,
                         finished_at=at if status != "active" else None))  # fmt: skip
    logged += flush()
    training = populate_training(database, workspace_id, catalog, users, fixed)
    return {"runs": run_id, "visits": visit_id, "events": logged, **training}


def populate_training(database, workspace_id, catalog, users, rng) -> dict[str, int]:
    """20-150 people assigned each SOP, 70% passed (one attempt, two answers each)."""
    assignments, attempts, answers = [], [], []
    for sop_id, revision_id, _ in catalog:
        for user in rng.sample(users, rng.randint(20, 150)):
            passed = rng.random() < 0.7
            assigned = NOW - timedelta(days=100)
            passed_at = assigned + timedelta(days=rng.randint(1, 20)) if passed else None
            assignments.append(dict(id=len(assignments) + 1, workspace_id=workspace_id,
                sop_id=sop_id, revision_id=revision_id, user_id=user,
                status="current" if passed else "pending", assigned_at=assigned,
                reminders_sent=0, attempts=1 if passed else 0, passed_at=passed_at))  # fmt: skip
            if passed:
                attempt_id = len(attempts) + 1
                questions = [{"text": "First?", "options": ["yes", "no"], "correct": [0],
                              "explanation": "", "step": 1},
                             {"text": "Second?", "options": ["no", "yes"], "correct": [1],
                              "explanation": "", "step": 2}]  # fmt: skip
                attempts.append(dict(id=attempt_id, assignment_id=len(assignments), number=1,
                    seed=1, questions=questions, position=2, correct=2, status="passed",
                    score=100, started_at=assigned + timedelta(days=1)))  # fmt: skip
                for position in (0, 1):
                    answers.append(dict(attempt_id=attempt_id, position=position, chosen=[0],
                                        correct=True, answered_at=assigned))  # fmt: skip
    insert(database, Assignment, assignments)
    insert(database, QuizAttempt, attempts)
    insert(database, QuizAnswer, answers)
    return {"assignments": len(assignments), "attempts": len(attempts)}


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def best_of(runs: int, function) -> tuple[float, float, object]:
    """The fastest of `runs` calls: (wall seconds, this process's CPU seconds, result)."""
    best = None
    for _ in range(runs):
        cpu = time.process_time()
        wall, result = timed(function)
        cpu = time.process_time() - cpu
        if best is None or wall < best[0]:
            best = (wall, cpu, result)
    assert best is not None
    return best


def profile(label: str, function, top: int) -> None:
    """Print the `top` entries of a cProfile of one call, by own time and by cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(function)
    for order in ("tottime", "cumulative"):
        print(f"--- profile of {label}, by {order}")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(top)


def roll_all(database: Database, workspace_id: int) -> int:
    """Every rollup the hourly job builds at NOW: the finished days, today's settled part and
    the spans /sop kpis reads; how many days were rolled up."""
    with database.session() as session:
        days_left = kpi_rollups.days_to_roll(session, workspace_id=workspace_id, tz=TZ, now=NOW)
    for day in days_left:
        with database.session() as session:
            kpi_rollups.roll_up_day(session, workspace_id=workspace_id, tz=TZ, day=day, now=NOW)
    with database.session() as session:
        kpi_rollups.roll_up_today(session, workspace_id=workspace_id, tz=TZ, now=NOW)
    for first, last in kpi_spans.wanted(NOW, TZ):
        with database.session() as session:
            kpi_spans.roll_up_span(session, workspace_id=workspace_id, tz=TZ, first=first,
                                   last=last, now=NOW)  # fmt: skip
    return len(days_left)


class Prepared:
    """One populated, rolled-up database of one size, open for timing."""

    def __init__(self, url: str, *, events: int, people: int, sops: int, days: int,
                 cache: Path | None) -> None:  # fmt: skip
        self.database = database = Database(url)
        migrate.upgrade(database.engine)
        insert_s, made = timed(cached_populate, database, url, cache, events=events,
                               people=people, sops=sops, days=days)  # fmt: skip
        if database.dialect == "postgresql":
            # VACUUM too: after a bulk COPY the first reads of each page set its hint bits and
            # autovacuum runs beside the timings; a database in use is not in that state.
            with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
        with database.session() as session:
            self.workspace_id = default_workspace(session).id
        self.yesterday = yesterday = local_day(NOW, TZ) - timedelta(days=1)
        raw_s, raw_cpu, raw = best_of(3, self.digest)
        with database.session() as session:
            one_day_s, _ = timed(kpi_rollups.roll_up_day, session, workspace_id=self.workspace_id,
                                 tz=TZ, day=yesterday - timedelta(days=3), now=NOW)  # fmt: skip
        all_s, rolled = timed(roll_all, database, self.workspace_id)
        # Equal, not merely close: both count times in the same histogram buckets (docs/kpis.md).
        assert self.digest().digest == raw.digest, "from rollups, the digest differs from raw"
        self.kpis_30d()  # warm, as the digest just was
        with database.session() as session:
            total_events = session.scalar(select(func.count(Event.id)))
        self.figures = dict(made, events=total_events, insert_s=insert_s, raw_s=raw_s,
                            raw_cpu=raw_cpu, one_day_s=one_day_s, all_s=all_s,
                            rolled_days=rolled)  # fmt: skip

    def digest(self):
        """Yesterday's digest, as the daily job computes it."""
        with self.database.session() as session:
            return digests.report(session, workspace_id=self.workspace_id, day=self.yesterday,
                                  tz=TZ, now=NOW)  # fmt: skip

    def kpis_30d(self):
        """`/sop kpis 30d`, as the command computes it."""
        with self.database.session() as session:
            return digests.kpis(session, workspace_id=self.workspace_id, tz=TZ, days=30, now=NOW)


def race(sizes: list[Prepared], rounds: int) -> None:
    """Time the digest and /sop kpis 30d of every size in turn, `rounds` times, into figures.

    Turns alternate (1M, 5M, 5M, 1M, ...) so a machine that speeds up or slows down during
    the run weighs on both sizes alike; timing one size after the other let a few seconds of
    a busy neighbour decide the ratio.
    """
    times: dict[Prepared, dict[str, list[tuple[float, float]]]] = {
        p: {"rollups": [], "kpis": []} for p in sizes
    }
    for turn in range(rounds):
        for prepared in sizes if turn % 2 == 0 else reversed(sizes):
            for name, function in (("rollups", prepared.digest), ("kpis", prepared.kpis_30d)):
                cpu = time.process_time()
                wall, _ = timed(function)
                times[prepared][name].append((wall, time.process_time() - cpu))
    for prepared in sizes:
        for name, found in times[prepared].items():
            walls, cpus = [w for w, _ in found], [c for _, c in found]
            prepared.figures |= {f"{name}_s": statistics.median(walls),
                                 f"{name}_cpu": statistics.median(cpus),
                                 f"{name}_best": min(walls), f"{name}_walls": walls}  # fmt: skip


def print_line(name: str, r: dict) -> None:
    """One size's figures."""
    print(
        f"{name} | {r['events']:,} | {r['runs']:,} | {r['insert_s']:.1f}"
        f" | {r['raw_s']:.3f} ({r['raw_cpu']:.3f}) | {r['one_day_s']:.3f}"
        f" | {r['all_s']:.1f} ({r['rolled_days']} days)"
        f" | {r['rollups_s']:.3f} ({r['rollups_cpu']:.3f}) [{r['rollups_best']:.3f}]"
        f" | {r['kpis_s']:.3f} ({r['kpis_cpu']:.3f}) [{r['kpis_best']:.3f}]"
        f" | {r['raw_s'] / r['rollups_s']:.1f}x",
        flush=True,
    )


def print_ratio(name: str, small: dict, big: dict) -> None:
    """The largest size's medians over the smallest's (the target: at most 1.2x), and the
    median of the ratios of the two sizes' calls in each turn (made seconds apart, so a
    machine changing speed over the run moves both)."""
    found = []
    for what, label in (("rollups", "digest from rollups"), ("kpis", "/sop kpis 30d")):
        paired = statistics.median(
            b / a for a, b in zip(small[f"{what}_walls"], big[f"{what}_walls"], strict=True)
        )
        found.append(
            f"{label} {big[f'{what}_s'] / small[f'{what}_s']:.2f}x"
            f" (CPU {big[f'{what}_cpu'] / small[f'{what}_cpu']:.2f}x,"
            f" best {big[f'{what}_best'] / small[f'{what}_best']:.2f}x, paired {paired:.2f}x)"
        )
    print(f"{name}: {big['events']:,} / {small['events']:,} events: {', '.join(found)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--sops", type=int, default=300)
    parser.add_argument("--days", type=int, default=30, help="history the events spread over")
    parser.add_argument("--database-url", help="PostgreSQL server to measure as well")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "sopbot-bench",
                        help="where populated SQLite files are kept for the next run")  # fmt: skip
    parser.add_argument("--no-cache", action="store_true", help="always populate afresh")
    parser.add_argument("--rounds", type=int, default=15,
                        help="timed turns of each size, the sizes alternating")  # fmt: skip
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the top N entries of a cProfile of both digests")  # fmt: skip
    args = parser.parse_args()
    # SIGTERM ends the run through the `finally` blocks, so a PostgreSQL schema is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"{args.people} people, {args.sops} SOPs, {args.days} days of history;"
          f" {os.cpu_count()} CPUs, load average {load}; Python speed check {python_speed():.3f} s"
          " (bench/common.py; lower is faster)")  # fmt: skip
    print(
        f"seconds, wall (CPU time of this process); raw digest: best of 3; from rollups and"
        f" kpis: median of {args.rounds} turns taken in alternation with the other sizes,"
        " [best]"
    )
    header = ("db", "events", "runs", "insert", "raw digest", "roll 1 day", "roll all",
              "digest (rollups)", "kpis 30d", "raw/rollups")  # fmt: skip
    print(" | ".join(header))
    servers = [] if args.skip_sqlite else [None]
    servers += [args.database_url] if args.database_url else []
    with tempfile.TemporaryDirectory() as folder:
        for server in servers:
            name = "postgresql" if server else "sqlite"
            with ExitStack() as stack:
                sizes = []
                for size in args.sizes:
                    url = stack.enter_context(fresh_database(server, Path(folder), prefix="digest"))
                    sizes.append(Prepared(url, events=size, people=args.people, sops=args.sops,
                                          days=args.days,
                                          cache=None if args.no_cache else args.cache))  # fmt: skip
                    stack.callback(sizes[-1].database.dispose)
                race(sizes, args.rounds)
                for prepared in sizes:
                    print_line(name, prepared.figures)
                    if args.profile:
                        events = prepared.figures["events"]
                        profile(f"the digest from rollups at {events:,} events", prepared.digest,
                                args.profile)  # fmt: skip
                        profile(f"/sop kpis 30d at {events:,} events", prepared.kpis_30d,
                                args.profile)  # fmt: skip
                if len(sizes) > 1:
                    print_ratio(name, sizes[0].figures, sizes[-1].figures)
    print(f"Python speed check at the end: {python_speed():.3f} s")


if __name__ == "__main__":
    main()
