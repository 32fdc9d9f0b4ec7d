"""How sopbot's costs grow with the number of SOP files and of people in the workspace.

    .venv/bin/python bench/scale.py [--sops 10 100 1000] [--people 100 5000 50000]
                                    [--events 1000000] [--queries 2000] [--quick]
                                    [--database-url postgresql+psycopg://...]
                                    [--baseline CHECKOUT]

For each database (SQLite always; PostgreSQL too with --database-url, in a fresh schema) and
each pair of SOP count and people count, on a fresh database and a FakeSlack (bot/slacksim)
in this process whose workspace has that many people:

- publish: `sopbot sops publish` of every generated file as a command (wall time, Python
  start-up included), then again with nothing changed;
- search: `/sop QUERY` through the lookup service (catalog snapshot, search, the recorded
  lookup, commit) for --queries varied queries: words of titles, typos, prefixes, steps'
  words, slugs, misses and pasted walls of text; p50 and p99, and the first query (which
  builds the index);
- audience: Web API calls to resolve a channel of everyone, per 1,000 people;
- training: the first assignment pass over every SOP (one to #everyone, the rest to team
  channels of 25), then a material change to the #everyone SOP assigned again (time, rows);
- memory: a real `sopbot run` process against the FakeSlack (SLACK_API_URL) and the same
  database, once its start-up work is done and it is idle: the PSS of it and its work process
  (/proc/PID/smaps_rollup; what the two hold together), its own RSS and peak (/proc/PID/status),
  and the pages the work process holds alone.

Then, per database, its size per 1M events, from bench/digest.py's generated event log.

With --baseline CHECKOUT it measures only the three targets with a time (publish, unchanged
publish, search p50/p99) for each --sops, this code and then the checkout's on the same files
and queries, and prints baseline / this.
A measurement, not a test: it exits 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from common import (  # bench/ is the script's folder: on sys.path
    free_port,
    fresh_database,
    python_speed,
)
from sqlalchemy import func, select, text, update

from bot.config import Settings
from bot.db import migrate
from bot.db.models import Event
from bot.db.outbox import SENT, OutboxMessage
from bot.db.session import Database
from bot.db.training import Assignment
from bot.jobs.training import assign_training
from bot.runtime import Runtime
from bot.services.audience import Resolver
from bot.services.catalog import Catalog
from bot.services.lookup import lookup
from bot.services.publish import publish_directory
from bot.slack.people import SlackDirectory
from bot.slack.renderers import build_renderers
from bot.slacksim import DEFAULT_TOKEN, FakeSlack
from bot.wiring import build_job_context

ROOT = Path(__file__).resolve().parent.parent
TEAM_SIZE = 25
DOMAIN = (
    "refund",
    "invoice",
    "onboarding",
    "deploy",
    "incident",
    "vendor",
    "payroll",
    "access",
    "laptop",
    "escalate",
    "audit",
    "backup",
    "contract",
    "shipping",
    "return",
    "password",
    "customer",
    "order",
    "warehouse",
    "expense",
    "travel",
    "security",
    "release",
    "hiring",
    "offboarding",
    "database",
    "outage",
    "billing",
    "privacy",
    "complaint",
)
SYLLABLES = (
    "ka",
    "lo",
    "mer",
    "sta",
    "vin",
    "dru",
    "pel",
    "qua",
    "ros",
    "tim",
    "ben",
    "cor",
    "fal",
    "gri",
    "hux",
    "jor",
    "nel",
    "pax",
    "sul",
    "tre",
    "wen",
    "zor",
    "ask",
    "ent",
)


class Words:
    """A vocabulary that grows with the corpus, drawn Zipf-like (a few words are everywhere)."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng = rng
        made = {
            "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)
        }
        self.words = list(DOMAIN) + sorted(made)
        self.weights = [1 / (rank + 1) for rank in range(len(self.words))]

    def some(self, count: int) -> list[str]:
        return self.rng.choices(self.words, weights=self.weights, k=count)


def write_sops(directory: Path, count: int, people: int, seed: int = 1) -> list[str]:
    """`count` SOP files of 5-10 steps (~3 KB each); returns their titles.

    sop-0000 goes to #everyone, the others to one team channel each.
    """
    rng = random.Random(seed)
    words = Words(rng, 300 + 8 * count)
    teams = max(1, people // TEAM_SIZE)
    titles = []
    for n in range(count):
        title = " ".join(w.title() if i == 0 else w for i, w in enumerate(words.some(3)))
        title = f"{title} {n}"
        titles.append(title)
        audience = "#everyone" if n == 0 else f"#team-{n % teams}"
        steps = []
        for s in range(1, rng.randint(5, 10) + 1):
            body = " ".join(words.some(rng.randint(30, 70)))
            checks = "\n".join(f"- [ ] {' '.join(words.some(5))}" for _ in range(2))
            steps.append(f"### {s}. {' '.join(words.some(3)).capitalize()}\n{body}.\n{checks}\n")
        directory.joinpath(f"sop-{n:04d}.md").write_text(
            f"---\ntitle: {title}\nid: sop-{n:04d}\nowner: U{n % people:08d}\n"
            f'audience: ["{audience}"]\ntags: [{", ".join(words.some(2))}]\n'
            f"review_every: 90d\n---\n# {title}\n\n{' '.join(words.some(40))}.\n\n## Steps\n"
            + "\n".join(steps)
            + "\n## Quiz\n1. First? (step 1)\n   - [x] yes\n   - [ ] no\n"
            "2. Second? (step 2)\n   - [ ] no\n   - [x] yes\n"
        )
    return titles


def make_queries(titles: list[str], count: int, seed: int = 2) -> list[str]:
    """What people type: title words, typos, prefixes, slugs, misses and pasted text."""
    rng = random.Random(seed)
    words = Words(rng, 300 + 8 * len(titles))
    queries = []
    for n in range(count):
        title = rng.choice(titles).lower().split()[:-1]
        kind = n % 7
        if kind == 0:
            queries.append(" ".join(rng.sample(title, 2)))
        elif kind == 1:  # a typo: two letters swapped
            word = max(title, key=len)
            i = rng.randrange(len(word) - 1)
            queries.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
        elif kind == 2:
            queries.append(rng.choice(title)[:4])
        elif kind == 3:
            queries.append(" ".join(words.some(2)))  # steps' words
        elif kind == 4:
            queries.append(f"sop-{rng.randrange(len(titles)):04d}")
        elif kind == 5:
            queries.append("".join(rng.choice("qxzjvw") for _ in range(7)))  # a miss
        else:
            queries.append(" ".join(words.some(25)))  # a pasted wall of text
    return queries


def fake_workspace(people: int) -> tuple[FakeSlack, list[str]]:
    """A FakeSlack with `people` more people, all in #everyone, in team channels of 25."""
    fake = FakeSlack().start()
    ws = fake.ws
    ids = [ws.add_user(id=f"U{n:08d}", name=f"person{n:06d}").id for n in range(people)]
    ws.add_channel(name="everyone", members=[ws.bot_user_id, *ids])
    for team in range(max(1, people // TEAM_SIZE)):
        ws.add_channel(name=f"team-{team}", members=ids[team * TEAM_SIZE : (team + 1) * TEAM_SIZE])
    return fake, ids


def base_environment() -> dict[str, str]:
    """This process's environment without Slack or database settings, writing bytecode.

    An installed sopbot has its modules compiled (pip does it); a checkout run with
    PYTHONDONTWRITEBYTECODE would compile every module in every command instead.
    """
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_")) and k != "PYTHONDONTWRITEBYTECODE"
    }


def environment(url: str, sops: Path, fake: FakeSlack, port: int = 3000) -> dict[str, str]:
    env = base_environment()
    env.update(
        DATABASE_URL=url,
        SOPS_DIR=str(sops),
        SLACK_BOT_TOKEN=DEFAULT_TOKEN,
        SLACK_SIGNING_SECRET="0123456789abcdef0123456789abcdef",
        SLACK_API_URL=fake.api_url,
        PORT=str(port),
    )
    return env


def command_seconds(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """`sopbot ARGS`: wall seconds, and CPU seconds (less sensitive to a loaded machine)."""
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"sopbot {' '.join(args)} failed: {done.stderr[-2000:]}")
    used = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    return seconds, used


def publish_inside(database: Database, folder: Path) -> float:
    """Seconds publish_directory takes in this process (imports done) with nothing changed."""
    started = time.perf_counter()
    with database.session() as session:
        report = publish_directory(
            session, directory=folder, now=datetime.now(UTC), renderers=build_renderers().feedback
        )
    assert not report.new_revisions and not report.errors
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure_search(database: Database, queries: list[str]) -> dict[str, float]:
    """Each query as /sop runs it: snapshot, search, the lookup event, commit.

    The first query builds the index; then, as `sopbot run` does once its start-up is done
    (bot/cli/run_cmd.freeze_start_up), what exists is frozen out of the collector's passes.
    """
    catalog = Catalog()
    times, cpu = [], []
    now = datetime.now(UTC)
    for n, query in enumerate(queries):
        if n == 1:
            gc.collect()
            gc.freeze()
        started, used = time.perf_counter(), time.thread_time()
        with database.session() as session:
            snapshot = catalog.snapshot(session)
            lookup(session, snapshot=snapshot, query=query, user_id=f"U{n % 100:08d}", now=now)
        times.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - used)
    return {
        "first_ms": times[0] * 1000,
        "p50_ms": percentile(times[1:], 0.5) * 1000,
        "p99_ms": percentile(times[1:], 0.99) * 1000,
        "cpu_p50_ms": percentile(cpu[1:], 0.5) * 1000,
        "cpu_p99_ms": percentile(cpu[1:], 0.99) * 1000,
    }


def measure_audience(fake: FakeSlack, people: int) -> dict[str, float]:
    """Web API calls and seconds to resolve #everyone from scratch (a new pass's Resolver)."""
    before = len(fake.calls)
    started = time.perf_counter()
    audience = Resolver(SlackDirectory(fake.client())).resolve(["#everyone"])
    seconds = time.perf_counter() - started
    calls = len(fake.calls) - before
    assert len(audience.people) == people, (len(audience.people), people)
    return {"calls": calls, "calls_per_1000": calls / people * 1000, "resolve_s": seconds}


def rows(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count(Assignment.id))) or 0,
            session.scalar(select(func.count(OutboxMessage.id))) or 0,
        )


def measure_training(runtime: Runtime, sops: Path, env: dict[str, str]) -> dict[str, float]:
    """The first pass over every SOP, then a material change to sop-0000 assigned again."""
    job = build_job_context(runtime)
    started, cpu = time.perf_counter(), time.process_time()
    first = assign_training(job)
    first_s, first_cpu = time.perf_counter() - started, time.process_time() - cpu
    first_rows = sum(r.created for r in first)
    path = sops / "sop-0000.md"
    source = path.read_text()
    path.write_text(
        source.replace("## Quiz", "### Sign the new form\nA new step: material.\n\n## Quiz")
    )
    command_seconds(["sops", "publish"], env, sops.parent)  # env without Slack: no assigning
    assignments, messages = rows(runtime.database)
    started, cpu = time.perf_counter(), time.process_time()
    (change,) = assign_training(job, slugs={"sop-0000"})
    change_s, change_cpu = time.perf_counter() - started, time.process_time() - cpu
    after = rows(runtime.database)
    return {
        "first_s": first_s,
        "first_rows": first_rows,
        "change_s": change_s,
        "first_cpu": first_cpu,
        "change_cpu": change_cpu,
        "created": change.created,
        "superseded": change.superseded,
        "new_rows": after[0] - assignments + after[1] - messages,
    }


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


def rollup_kb(pid: int, names: tuple[str, ...]) -> int:
    """Sum of these /proc/PID/smaps_rollup fields (kB): e.g. Pss, Private_Dirty."""
    total = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.split(":")[0] in names:
            total += int(line.split()[1])
    return total


def children(pid: int) -> list[int]:
    """The processes `pid` started (sopbot run's work process)."""
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def ready(port: int) -> bool:
    """Whether `sopbot run` on `port` answers /readyz with 200 (not listening yet: False)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as reply:
            return reply.status == 200
    except OSError:  # refused while starting, or 503 until the database is ready
        return False


def measure_rss(url: str, sops: Path, fake: FakeSlack, workdir: Path) -> dict[str, float]:
    """`sopbot run` until ready and idle (CPU still for 3 s); VmRSS then, and its peak."""
    port = free_port()
    log = (workdir / "run.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--host", "127.0.0.1"],
        env=environment(url, sops, fake, port),
        cwd=workdir,
        stdout=log,
        stderr=log,
    )
    started = time.monotonic()
    try:
        while not ready(port):
            if process.poll() is not None:
                raise RuntimeError(f"sopbot run exited {process.returncode}; see {log.name}")
            time.sleep(0.2)  # a benchmark's poll, not a test's wait
        ready_s = time.monotonic() - started
        still, last = 0, cpu_seconds(process.pid)
        while still < 6 and time.monotonic() - started < 600:
            time.sleep(0.5)
            now = cpu_seconds(process.pid)
            still = still + 1 if now - last < 0.03 else 0
            last = now
        # With its work process (WORK_PROCESS), the two share the pages the fork copied until
        # one writes them: their PSS adds up to what they hold together; RSS would count twice.
        tree = [process.pid, *children(process.pid)]
        return {
            "ready_s": ready_s,
            "idle_s": time.monotonic() - started,
            "rss_mb": status_kb(process.pid, "VmRSS") / 1024,
            "peak_mb": status_kb(process.pid, "VmHWM") / 1024,
            "pss_mb": sum(rollup_kb(pid, ("Pss",)) for pid in tree) / 1024,
            "child_private_mb": sum(
                rollup_kb(pid, ("Private_Clean", "Private_Dirty")) for pid in tree[1:]
            )
            / 1024,
        }
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def measure_pair(server: str | None, sops: int, people: int, args, workdir: Path) -> dict:
    fake, _ = fake_workspace(people)
    folder = workdir / f"sops-{sops}-{people}"
    folder.mkdir()
    titles = write_sops(folder, sops, people)
    try:
        with fresh_database(server, workdir, prefix="scale") as url:
            env = environment(url, folder, fake)
            # Published without Slack credentials: the command would assign training next,
            # which is measured on its own below.
            env = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
            command_seconds(["db", "upgrade"], env, workdir)
            first = command_seconds(["sops", "publish"], env, workdir)
            again = command_seconds(["sops", "publish"], env, workdir)
            database = Database(url)
            inside = publish_inside(database, folder)
            search = search_apart(url, make_queries(titles, args.queries), env, workdir)
            audience = measure_audience(fake, people)
            settings = Settings(
                database_url=url,
                sops_dir=folder,
                slack_bot_token=DEFAULT_TOKEN,
                slack_api_url=fake.api_url,
            )
            runtime = Runtime(settings=settings, database=database, clock=lambda: datetime.now(UTC))
            training = measure_training(runtime, folder, env)
            with database.session() as session:  # delivered: `sopbot run` starts at rest
                session.execute(update(OutboxMessage).values(state=SENT))
            rss = measure_rss(url, folder, fake, workdir)
            database.dispose()
    finally:
        fake.stop()
    return dict(
        publish_s=first[0],
        publish_cpu=first[1],
        republish_s=again[0],
        republish_cpu=again[1],
        inside_s=inside,
        **search,
        **audience,
        **training,
        **rss,
    )


def database_size(server: str | None, events: int, workdir: Path) -> dict[str, float]:
    """Bytes per 1M events of the whole database and of the events table with its indexes."""
    from digest import populate  # bench/digest.py's generator: runs, visits, events, training

    with fresh_database(server, workdir, prefix="size") as url:
        database = Database(url)
        migrate.upgrade(database.engine)
        made = populate(database, events=events, people=2000, sops=300, days=30)
        if database.dialect == "postgresql":
            with database.engine.begin() as conn:
                total = conn.scalar(
                    text(
                        "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'"
                        " AND n.nspname = current_schema()"
                    )
                )
                table = conn.scalar(text("SELECT pg_total_relation_size('events')"))
        else:
            path = url.removeprefix("sqlite:///")
            with closing(sqlite3.connect(path, isolation_level=None)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL's pages into the file
                table = conn.execute(
                    "SELECT sum(pgsize) FROM dbstat d JOIN sqlite_master m ON d.name = m.name"
                    " WHERE m.tbl_name = 'events'"
                ).fetchone()[0]
            total = Path(path).stat().st_size
        with database.session() as session:
            logged = session.scalar(select(func.count(Event.id))) or 0
        database.dispose()
    per = 1_000_000 / logged
    return {
        "events": logged,
        "runs": made["runs"],
        "total_mb": float(total) * per / 2**20,
        "events_mb": float(table or 0) * per / 2**20,
    }


def row(r: dict) -> str:
    """One line of the table after its database, SOPs and people."""
    return " | ".join(
        [
            f"{r['publish_s']:.2f} ({r['publish_cpu']:.2f})",
            f"{r['republish_s']:.2f} ({r['republish_cpu']:.2f}; {r['inside_s']:.2f})",
            f"{r['first_ms']:.0f} / {r['p50_ms']:.1f} / {r['p99_ms']:.1f}"
            f" ({r['cpu_p50_ms']:.1f} / {r['cpu_p99_ms']:.1f})",
            f"{r['calls_per_1000']:.1f} ({r['calls']})",
            f"{r['first_s']:.1f} ({r['first_cpu']:.1f} CPU; {r['first_rows']:,} rows)",
            f"{r['change_s']:.1f} ({r['change_cpu']:.1f} CPU; {r['new_rows']:,} rows:"
            f" {r['created']:,} assigned, {r['superseded']:,} superseded)",
            f"{r['ready_s']:.1f}",
            f"{r['pss_mb']:.0f} ({r['rss_mb']:.0f}; {r['peak_mb']:.0f};"
            f" {r['child_private_mb']:.0f})",
        ]
    )


def side_by_side(server: str | None, sops: int, args, workdir: Path) -> None:
    """The three targets (publish, unchanged publish, search) for this code and --baseline's.

    Each on a fresh database with the same files and queries; the baseline runs with
    PYTHONPATH at its checkout, its search in a child process of this script (--search-only).
    """
    folder = workdir / f"ab-{'postgresql' if server else 'sqlite'}-{sops}"
    folder.mkdir()
    titles = write_sops(folder, sops, 100)
    queries = folder.with_suffix(".queries")
    queries.write_text("\n".join(make_queries(titles, args.queries)))
    figures = {}
    for code, source in (("this checkout", None), ("baseline", args.baseline)):
        with fresh_database(server, workdir, prefix="ab") as url:
            env = {**base_environment(), "DATABASE_URL": url, "SOPS_DIR": str(folder)}
            if source is not None:
                env["PYTHONPATH"] = str(source)
            command_seconds(["db", "upgrade"], env, workdir)
            first = command_seconds(["sops", "publish"], env, workdir)
            again = command_seconds(["sops", "publish"], env, workdir)
            script = [sys.executable, __file__, "--search-only", url, str(queries)]
            done = subprocess.run(script, env=env, capture_output=True, text=True, check=True)
            search = json.loads(done.stdout.splitlines()[-1])
        figures[code] = (first, again, search)
        print(
            f"{'postgresql' if server else 'sqlite'} | {sops:,} | {code}"
            f" | {first[0]:.2f} ({first[1]:.2f}) | {again[0]:.2f} ({again[1]:.2f})"
            f" | {search['p50_ms']:.1f} / {search['p99_ms']:.1f}"
            f" ({search['cpu_p50_ms']:.1f} / {search['cpu_p99_ms']:.1f})",
            flush=True,
        )
    (first, again, search), (old_first, old_again, old_search) = figures.values()
    print(
        f"  baseline / this: publish CPU {old_first[1] / first[1]:.2f}x,"
        f" unchanged CPU {old_again[1] / again[1]:.2f}x,"
        f" search p99 {old_search['p99_ms'] / search['p99_ms']:.2f}x"
        f" (CPU p99 {old_search['cpu_p99_ms'] / search['cpu_p99_ms']:.2f}x)",
        flush=True,
    )


def search_apart(url: str, queries: list[str], env: dict[str, str], workdir: Path) -> dict:
    """measure_search in a process of its own, as the bot's: not beside a 50,000-person fake."""
    listed = workdir / "queries.txt"
    listed.write_text("\n".join(queries))
    script = [sys.executable, __file__, "--search-only", url, str(listed)]
    done = subprocess.run(script, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.splitlines()[-1])


def search_only(url: str, queries: Path) -> None:
    """Print measure_search's figures as JSON (the baseline's, run with its code)."""
    database = Database(url)
    print(json.dumps(measure_search(database, queries.read_text().split("\n"))))
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sops", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--people", type=int, nargs="+", default=[100, 5000, 50000])
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="for the database size (0: skip)"
    )
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10 and 100 SOPs, 100 and 1,000 people, 100k events, 300 queries",
    )
    parser.add_argument("--database-url", help="PostgreSQL server to measure as well")
    parser.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout to compare with: publish, unchanged publish and search for each --sops",
    )
    parser.add_argument(
        "--search-only", nargs=2, metavar=("URL", "QUERIES"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.search_only:
        search_only(args.search_only[0], Path(args.search_only[1]))
        return
    if args.quick:
        args.sops, args.people, args.events, args.queries = [10, 100], [100, 1000], 100_000, 300
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `finally` drops the schemas
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs, load average {load};"
        f" Python speed check {python_speed():.3f} s (bench/common.py; lower is faster)"
    )
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        env = base_environment()
        startup = min(command_seconds(["--help"], env, workdir) for _ in range(3))
        print(
            f"`sopbot --help` (Python start-up and imports): {startup[0]:.2f} s"
            f" ({startup[1]:.2f} s CPU), best of 3"
        )
        servers = [None, args.database_url] if args.database_url else [None]
        servers = servers[1:] if args.skip_sqlite else servers
        if args.baseline is not None:
            print("db | SOPs | code | publish s (CPU) | unchanged s (CPU) | search p50/p99 ms")
            for server in servers:
                for sops in args.sops:
                    side_by_side(server, sops, args, workdir)
            return
        print(
            "db | SOPs | people | publish s (CPU) | unchanged s (CPU; in-process)"
            " | search first/p50/p99 ms (CPU p50/p99)"
            " | calls per 1k people | first assignment s | material change s"
            " | run ready s | memory MB: PSS of run and its work process (run's RSS;"
            " its peak; the work process's own pages)"
        )
        for server in servers:
            name = "postgresql" if server else "sqlite"
            for sops in args.sops:
                for people in args.people:
                    run_dir = workdir / f"{name}-{sops}-{people}"
                    run_dir.mkdir()
                    r = measure_pair(server, sops, people, args, run_dir)
                    print(f"{name} | {sops:,} | {people:,} | {row(r)}", flush=True)
        print("db | events | runs | MB per 1M events: whole database | events table and indexes")
        for server in servers if args.events else []:
            name = "postgresql" if server else "sqlite"
            s = database_size(server, args.events, workdir)
            print(
                f"{name} | {s['events']:,} | {s['runs']:,} | {s['total_mb']:.0f}"
                f" | {s['events_mb']:.0f}",
                flush=True,
            )
    print(f"Python speed check at the end: {python_speed():.3f} s")


if __name__ == "__main__":
    main()
