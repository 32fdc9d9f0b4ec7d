"""Where a request's CPU goes: signed requests through the bot's WSGI app, in this process.

    .venv/bin/python bench/request_profile.py [--requests 150] [--top 20] [--database-url URL]

The bot is assembled as `sopbot run` assembles it (without its HTTP server and background jobs)
against a FakeSlack. Bolt's listener pool and the after-ack pool run their work inline, so all
of one request (signature check, bolt, the listener and its after-ack work, the bot's side of
its Slack calls) happens on this thread, and this thread's CPU time is the request's cost; the
fake's side of each Slack call runs on its own threads and is not counted. Per request kind it
prints the CPU per request (mean and p50, ack path and after-ack work apart), then, in a second
pass under cProfile, the functions that cost the most per request. A bare bolt app (listeners
that only ack) gets the same bodies, for its CPU per request. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import logging
import math
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from pathlib import Path

import slack_bolt
from ack_latency import DONE, SECRET, add_users, buttons  # bench/ is on sys.path
from common import fresh_database, python_speed
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from sqlalchemy import Engine, event

from bot import logs
from bot.config import Settings
from bot.slack.app import build_app
from bot.slack.guard import log_redaction
from bot.slacksim import DEFAULT_TOKEN, DriverResponse, FakeSlack, SlackDriver
from bot.slacksim.seed import SUPPORT
from bot.web import EVENTS_PATH, wsgi_app
from bot.wiring import build_runtime, build_slack, publish_on_start

ROOT = Path(__file__).resolve().parent.parent
# Prefixes left out of the listing: the standard library's, the libraries', this checkout's.
PREFIXES = (f"{Path(pstats.__file__).parent}/", f"{Path(slack_bolt.__file__).parent.parent}/")
WSGI = Callable[[dict, Callable], Iterable[bytes]]
# Request kinds: a label and what the person does (see Load.request).
KINDS = ("/sop refund", "/sop order", "/sop dinosaur", "/sop", "Done press", "/feedback text")
# bench/ack_latency.py's mix: the four commands once each for every four Done presses.
MIXED = (*KINDS[:4], *["Done press"] * 4)


class Inline(Executor):
    """An executor that runs each piece of work at once, on the submitting thread."""

    def submit(self, fn: Callable, /, *args: object, **kwargs: object) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, as a pool would
            future.set_exception(exc)
        return future


class Timed(Inline):
    """Inline, adding up the thread CPU its work takes (the after-ack part of a request)."""

    def __init__(self) -> None:
        self.cpu = 0.0

    def submit(self, fn: Callable, /, *args: object, **kwargs: object) -> Future:
        started = time.thread_time()
        try:
            return super().submit(fn, *args, **kwargs)
        finally:
            self.cpu += time.thread_time() - started


class InProcess(SlackDriver):
    """A SlackDriver that hands each signed request straight to a WSGI app on this thread."""

    def __init__(self, fake: FakeSlack, application: WSGI) -> None:
        super().__init__(fake, f"http://in-process{EVENTS_PATH}", SECRET)
        self.application = application
        self.cpu = 0.0  # thread CPU seconds of the last request

    def send_raw(self, body: str | bytes, headers: dict[str, str]) -> DriverResponse:
        data = body.encode() if isinstance(body, str) else body
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": EVENTS_PATH,
            "QUERY_STRING": "",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
        status: list[str] = []
        started, cpu = time.perf_counter(), time.thread_time()
        raw = b"".join(self.application(environ, lambda s, _h, *_: status.append(s)))
        self.cpu = time.thread_time() - cpu
        elapsed = time.perf_counter() - started
        return DriverResponse(int(status[0].split()[0]), raw.decode(), {}, elapsed)


class Collections:
    """Pauses of Python's cyclic garbage collector, by generation, while it is installed."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = defaultdict(list)
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._started) * 1000)

    def report(self) -> str:
        """One line per generation: how many collections, their total and longest pause."""
        return "\n".join(
            f"generation {g}: {len(p)} collections, {sum(p):.1f} ms in all, longest {max(p):.2f} ms"
            for g, p in sorted(self.pauses.items())
        )


class Statements:
    """Counts the SQL statements a database's engine runs and the connections it hands out."""

    def __init__(self, engine: Engine) -> None:
        self.statements = self.checkouts = 0
        self.shown: list[str] | None = None  # a list: the statements are kept in it
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)

    def _statement(self, _conn: object, _cursor: object, statement: str, *_: object) -> None:
        self.statements += 1
        if self.shown is not None:
            self.shown.append(" ".join(statement.split())[:150])

    def _checkout(self, *_: object) -> None:
        self.checkouts += 1
        if self.shown is not None:
            self.shown.append("-- connection checked out")


def bot_application(
    fake: FakeSlack, database_url: str, *, freeze: bool = True
) -> tuple[WSGI, Timed, Statements]:
    """The bot as `sopbot run` builds it, with its listener and after-ack pools inline."""
    settings = Settings(
        database_url=database_url,
        sops_dir=ROOT / "sops",
        slack_bot_token=DEFAULT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
    )
    runtime = build_runtime(settings)
    slack = build_slack(runtime)
    publish_on_start(runtime, renderers=slack.renderers.feedback)
    app, _ = build_app(slack)
    after_ack = Timed()
    # All of a request on one thread: bolt's runner and the after-ack pool get inline executors.
    app._listener_runner.listener_executor = Inline()
    slack.after_ack._pool = after_ack  # type: ignore[assignment]
    statements = Statements(runtime.database.engine)
    if freeze:  # as `sopbot run` does before serving (--no-freeze for code from before it)
        from bot.cli.run_cmd import freeze_start_up

        freeze_start_up()
    return wsgi_app(app, runtime.database, signing_secret=SECRET), after_ack, statements


def bare_application(fake: FakeSlack) -> WSGI:
    """bench/ack_latency.py's bare app (listeners that only ack), its listener pool inline."""
    app = App(
        client=WebClient(token=DEFAULT_TOKEN, base_url=fake.api_url),
        signing_secret=SECRET,
        listener_executor=Inline(),
        token_verification_enabled=True,
    )
    app.command("/sop")(lambda ack: ack())
    app.command("/feedback")(lambda ack: ack())
    app.action(DONE)(lambda ack: ack())
    return SlackRequestHandler(app, path=EVENTS_PATH)


class Load:
    """Builds and sends the requests of each kind: commands from many people, Done presses."""

    def __init__(self, fake: FakeSlack, driver: InProcess, people: int) -> None:
        self.fake, self.driver = fake, driver
        self.people = add_users(fake, people)
        self.turn = 0
        self.runs: list[tuple[str, str]] = []  # (owner, thread ts) of runs with steps left

    def person(self) -> str:
        """The next person, round-robin (the bot's pace limit is per person)."""
        self.turn += 1
        return self.people[self.turn % len(self.people)]

    def start_runs(self, count: int) -> None:
        """`count` new refund runs, kept for Done presses."""
        for _ in range(count):
            user = self.person()
            self.driver.command(user, "/sop", "refund", channel=SUPPORT)
            ts = self._thread_of(user)
            self.runs.append((user, ts))

    def _thread_of(self, user: str) -> str:
        for parent in reversed(self.fake.messages(SUPPORT)):
            if f"<@{user}>" in str(parent.get("blocks")) + parent.get("text", ""):
                return parent["ts"]
        raise RuntimeError(f"no run thread for {user}")

    def prepare(self, kind: str) -> Callable[[], DriverResponse]:
        """What sends the next request of `kind` (runs to press are started beforehand)."""
        if kind == "Done press":
            user, step = self._next_step()
            return lambda: self.driver.click(user, step, DONE)
        command, _, text = kind.partition(" ")
        if command == "/feedback":
            text = f"the refund form asks for the order number twice ({self.turn})"
        user = self.person()
        return lambda: self.driver.command(user, command, text, channel=SUPPORT)

    def request(self, kind: str) -> DriverResponse:
        """Send one request of `kind`; returns the bot's answer."""
        return self.prepare(kind)()

    def _next_step(self) -> tuple[str, dict]:
        """The owner and current step message of a run with steps left."""
        while True:
            if not self.runs:
                self.start_runs(5)
            user, ts = self.runs[0]
            replies = self.fake.thread(SUPPORT, ts)[1:]
            step = next((m for m in reversed(replies) if DONE in buttons(m)), None)
            if step is not None:
                return user, step
            self.runs.pop(0)  # the run is over


def measure(
    load: Load, after_ack: Timed | None, kind: str, count: int, sql: Statements | None = None
) -> dict[str, float]:
    """CPU per request of `kind` over `count` requests (after 5 to warm up), in ms; with `sql`,
    the statements and connection checkouts per request too."""
    for _ in range(5):
        load.request(kind)
    total, work = [], []
    statements, checkouts = (sql.statements, sql.checkouts) if sql else (0, 0)
    for _ in range(count):
        send = load.prepare(kind)
        before = after_ack.cpu if after_ack else 0.0
        response = send()
        if response.status != 200:
            raise RuntimeError(f"{kind}: status {response.status}")
        total.append(load.driver.cpu * 1000)
        work.append(((after_ack.cpu if after_ack else 0.0) - before) * 1000)
    figures = {
        "mean": statistics.fmean(total),
        "p50": statistics.median(total),
        "ack": statistics.fmean(t - w for t, w in zip(total, work, strict=True)),
        "work": statistics.fmean(work),
    }
    if sql:  # preparing Done presses starts runs now and then: only a rough count for those
        figures["sql"] = (sql.statements - statements) / count
        figures["sessions"] = (sql.checkouts - checkouts) / count
    return figures


def profile(load: Load, kind: str, count: int, top: int, callers: list[str]) -> None:
    """The `top` functions by cumulative time per request of `kind`, under cProfile."""
    profiler = cProfile.Profile(time.thread_time)
    for _ in range(count):
        send = load.prepare(kind)
        profiler.enable()
        send()
        profiler.disable()
    for order, only, what in (
        ("cumulative", str(ROOT / "bot"), "sopbot's functions by cumulative CPU"),
        ("tottime", "", "all functions by own CPU"),
    ):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(only, top)
        print(f"\n--- {kind}: {what}, {count} requests (divide by {count})")
        text = out.getvalue()
        for prefix in (*PREFIXES, f"{ROOT}/"):
            text = text.replace(prefix, "")
        lines = text.splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print("\n".join(line for line in lines[start:] if line.strip()))
    for name in callers:
        pstats.Stats(profiler).sort_stats("cumulative").print_callers(name)


def main() -> None:
    """Assemble the bot and the bare app, measure each kind, then profile each kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=150, help="requests per kind")
    parser.add_argument("--top", type=int, default=20, help="functions listed per kind")
    parser.add_argument("--kinds", nargs="*", default=KINDS, help="request kinds to measure")
    parser.add_argument("--callers", nargs="*", default=[], help="print who calls these")
    parser.add_argument("--show-sql", action="store_true", help="list one request's SQL a kind")
    parser.add_argument("--gc", action="store_true", help="the collector's pauses per kind")
    parser.add_argument("--no-freeze", action="store_true", help="start-up objects not frozen")
    parser.add_argument("--no-profile", action="store_true", help="CPU figures only")
    parser.add_argument("--database-url", help="PostgreSQL URL; a fresh schema is used")
    args = parser.parse_args()
    logs.configure(filters=[log_redaction.FILTER])
    logging.getLogger("bot").setLevel(logging.WARNING)  # start-up narration only
    with (
        FakeSlack() as fake,
        tempfile.TemporaryDirectory(prefix="request-profile-") as tmp,
        fresh_database(args.database_url, Path(tmp), prefix="profile") as url,
    ):
        application, after_ack, sql = bot_application(fake, url, freeze=not args.no_freeze)
        logging.getLogger("bot").setLevel(logging.INFO)
        bot = Load(fake, InProcess(fake, application), people=400)
        bare = Load(fake, InProcess(fake, bare_application(fake)), people=0)
        bare.people = bot.people
        print(f"speed check {python_speed():.3f} s; database {url.split(':')[0]}")
        figures: dict[str, dict[str, float]] = defaultdict(dict)
        collections = Collections()
        for kind in args.kinds:
            gc.callbacks.append(collections)
            figures[kind] = measure(bot, after_ack, kind, args.requests, sql)
            gc.callbacks.remove(collections)
            bot.start_runs(1)  # the bare app presses it and acks, advancing nothing
            bare.runs = bot.runs[-1:]
            figures[kind]["bare"] = measure(bare, None, kind, args.requests)["mean"]
        print(f"\nCPU per request, ms ({args.requests} of each kind, after 5 to warm up):")
        columns = ("mean", "p50", "ack", "work", "bare", "sql", "sessions")
        print(f"{'kind':<16}" + "".join(f"{c:>9}" for c in columns))
        for kind, row in figures.items():
            print(f"{kind:<16}" + "".join(f"{row[c]:>9.2f}" for c in columns))
        if all(kind in figures for kind in MIXED):  # weighted as ack_latency.py sends them
            mixed = {c: statistics.fmean(figures[k][c] for k in MIXED) for c in columns}
            mixed["p50"] = math.nan
            print(f"{'ack_latency mix':<16}" + "".join(f"{mixed[c]:>9.2f}" for c in columns))
        if args.gc:
            print(f"\nThe bot's collector pauses over those requests:\n{collections.report()}")
        for kind in args.kinds if args.show_sql else ():
            send, sql.shown = bot.prepare(kind), []
            send()
            print(f"\n--- {kind}: {len(sql.shown)} lines\n" + "\n".join(sql.shown))
            sql.shown = None
        if not args.no_profile:
            for kind in args.kinds:
                profile(bot, kind, max(20, args.requests // 3), args.top, args.callers)
        print(f"speed check at the end {python_speed():.3f} s", file=sys.stdout)


if __name__ == "__main__":
    main()
