"""How close `sopbot worker` gets to its rate limit on a large DM fan-out, and that it loses none.

    .venv/bin/python bench/fanout.py [--members 5000] [--rate 3000|auto] [--dispatchers 1 2]
                                     [--latency 0.2] [--hidden-limit 1200] [--quiet 0.05]
                                     [--warm-dms] [--database-url URL]
                                     [--baseline CHECKOUT [--baseline-rate 50]]

Starts a FakeSlack in this process with Slack's rate limits enforced (1 post per second per
channel, tier limits per method; the tier-3 methods the dispatcher uses are scaled to --rate,
since at the real 50 a minute 5,000 DMs take 100 minutes), enqueues one DM per member, runs
that many `python -m bot worker --per-minute RATE` processes against one database, and reports
time to deliver versus what RATE allows, duplicates, losses, 429s and peak memory. With
--warm-dms every member's DM is already open (a later fan-out to the same people). --latency
makes every Web API call take that many seconds (Slack takes 0.1-0.3 s); --hidden-limit makes
the fake enforce a workspace-wide chat.postMessage limit it does not announce (run it with
--rate auto, which must find it); --quiet holds that share of the DMs until a minute after the
start, as quiet hours would, and counts any sent before their time. --baseline runs the same
fan-out again with the workers of another checkout (e.g. a `git worktree` of the previous
commit) and prints the ratio of the two rates.
A measurement, not a test: it exits 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from common import fresh_database  # bench/ is the script's folder, so on sys.path
from sqlalchemy import select

from bot.db import migrate, outbox
from bot.db.models import utcnow
from bot.db.outbox import OutboxMessage, RateLimit
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.slacksim import DEFAULT_TOKEN, FakeSlack

ROOT = Path(__file__).resolve().parent.parent
TIER3 = ("conversations.open", "conversations.history", "conversations.replies", "chat.update")


def enqueue_fanout(
    database: Database, fake: FakeSlack, members: list[str], warm: bool, held: set[str]
) -> float:
    """One DM per member in one transaction (as a publish would); seconds it took."""
    started = time.perf_counter()
    with database.session() as session:
        workspace_id = default_workspace(session).id
        for user in members:
            if warm:
                dm = fake.ws.bot_im(user).id
                outbox.remember_dm(
                    session, workspace_id=workspace_id, user_id=user, channel_id=dm, now=utcnow()
                )
            outbox.enqueue(
                session,
                key=f"training:bench:{user}",
                workspace_id=workspace_id,
                user_id=user,
                text=f"Please take the refund quiz, <@{user}>",
                now=utcnow(),
                not_before=held_until(user, held),
            )
    return time.perf_counter() - started


def start_worker(
    url: str, fake: FakeSlack, args: argparse.Namespace, log: Path, source: Path | None
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(DATABASE_URL=url, SLACK_BOT_TOKEN=DEFAULT_TOKEN, SLACK_API_URL=fake.api_url)
    if source is not None:  # the baseline: the same run with another checkout's bot package
        env["PYTHONPATH"] = str(source)
    rate = args.rate if source is None or args.baseline_rate is None else args.baseline_rate
    command = [sys.executable, "-m", "bot", "worker", "--per-minute", rate]
    command += ["--tier3-per-minute", str(tier3(args))]
    with log.open("a") as out:
        return subprocess.Popen(command, cwd=log.parent, env=env, stdout=out, stderr=out)


def wait_for_outbox(database: Database, total: int, deadline: float) -> dict[str, int]:
    """Poll until every row is sent or failed, or the deadline passes."""
    while True:
        with database.session() as session:
            counts = outbox.counts_by_state(session)
        if counts[outbox.SENT] + counts[outbox.FAILED] >= total or time.monotonic() > deadline:
            return counts
        time.sleep(0.25)  # a benchmark's poll interval, not a test's wait


HOLD = timedelta(minutes=1)
HELD_AT: dict[str, datetime] = {}


def held_until(user: str, held: set[str]) -> datetime | None:
    """When a held member's DM may go (a minute from now), as quiet hours would set it."""
    if user not in held:
        return None
    HELD_AT[f"training:bench:{user}"] = utcnow() + HOLD
    return HELD_AT[f"training:bench:{user}"]


def learned_pace(database: Database) -> str:
    """The chat.postMessage pace auto learned, as stored for every process."""
    with database.session() as session:
        pace = session.scalar(
            select(RateLimit.per_minute).where(RateLimit.bucket == "chat.postMessage")
        )
    return "-" if pace is None else f"{pace:.0f} /min"


def sent_early(database: Database) -> int:
    """Held rows the outbox sent before the time they were held until."""
    with database.session() as session:
        sent = session.execute(
            select(OutboxMessage.key, OutboxMessage.sent_at).where(
                OutboxMessage.key.in_(list(HELD_AT))
            )
        ).all()
    return sum(1 for key, at in sent if at is None or at < HELD_AT[key])


def deliveries(fake: FakeSlack, members: list[str]) -> Counter[str]:
    """Messages in each member's DM with the bot."""
    wanted = set(members)
    found: Counter[str] = Counter()
    with fake.ws.lock:
        for channel in fake.ws.channels.values():
            if channel.is_im and channel.im_user in wanted:
                found[channel.im_user] = len(fake.ws.channel_messages(channel.id))
    return found


def tier3(args: argparse.Namespace) -> float:
    """The tier-3 budget: scaled to the run's pace (at the real 50/min a bench would take hours)."""
    return args.hidden_limit or float(args.rate)


def run(args: argparse.Namespace, dispatchers: int, workdir: Path, source: Path | None) -> float:
    fake = FakeSlack().start()
    fake.latency = args.latency
    fake.enforce_rate_limits(
        chat_postMessage_per_channel_per_sec=1.0,
        per_minute=dict.fromkeys(TIER3, tier3(args)),
        chat_postMessage_per_minute=args.hidden_limit or 0.0,
    )
    members = [fake.ws.add_user(name=f"member{i:05d}").id for i in range(args.members)]
    limit = args.hidden_limit or float(args.rate)
    with fresh_database(args.database_url, workdir, prefix="fanout") as url:
        database = migrate.open_current(url, now=utcnow())
        held = set(members[:: round(1 / args.quiet)]) if args.quiet > 0 else set()
        enqueue_seconds = enqueue_fanout(database, fake, members, args.warm_dms, held)
        allowed = (args.members - len(held) - 1) / limit * 60
        started = time.monotonic()
        log = workdir / f"workers-{dispatchers}.log"
        workers = [start_worker(url, fake, args, log, source) for _ in range(dispatchers)]
        counts = wait_for_outbox(database, args.members, started + allowed * 3 + 120)
        wall = time.monotonic() - started
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        exits = [worker.wait(timeout=60) for worker in workers]
        early = sent_early(database)
        learned = learned_pace(database)
        database.dispose()
    # The rate is judged on the DMs free to go at once; the held ones go a minute later.
    free_people = set(members) - held
    # Posted to the user ID (this code) or to the DM conversations.open gave (older code).
    free = free_people | {fake.ws.bot_im(m).id for m in free_people}
    posts = [c for c in fake.calls_to("chat.postMessage") if c.ok and c.args["channel"] in free]
    window = posts[-1].at - posts[0].at if len(posts) > 1 else float("nan")
    achieved = (len(posts) - 1) / window * 60 if len(posts) > 1 else 0.0
    got = deliveries(fake, members)
    limited = Counter(c.method for c in fake.calls if c.status == 429)
    opens = len(fake.calls_to("conversations.open"))
    history = len(fake.calls_to("conversations.history"))
    fake.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    pace = f"--rate {args.rate}" + (f", hidden limit {limit:g}/min" if args.hidden_limit else "")
    code = f"baseline {source}" if source else "this checkout"
    shape = f"{dispatchers} dispatcher(s), {args.members} DMs, {pace}, {args.latency} s/call"
    print(f"\n== {code}: {shape}")
    print(f"enqueue (one transaction)      {enqueue_seconds:8.2f} s")
    print(f"first to last post             {window:8.2f} s   (the limit allows {allowed:.2f} s)")
    print(f"achieved rate                  {achieved:8.0f} /min = {achieved / limit:.1%} of limit")
    print(f"wall time incl. worker start   {wall:8.2f} s")
    delivered = sum(1 for n in got.values() if n)
    duplicated = sum(1 for n in got.values() if n > 1)
    print(
        f"delivered / duplicates / lost  {delivered:8} / {duplicated} / {args.members - delivered}"
    )
    print(f"outbox states                  {counts}")
    calls = len(fake.calls)
    share = sum(limited.values()) / calls if calls else 0.0
    print(f"429s by method                 {dict(limited) or 'none'}")
    print(f"429s of all calls              {share:8.2%}   ({calls} calls)")
    print(f"held rows sent early or never  {early} of {len(HELD_AT)} held a minute (quiet hours)")
    print(f"conversations.open / .history  {opens} / {history}")
    print(f"pace learned (auto)            {learned}")
    print(f"worker exit codes              {exits}")
    print(f"peak RSS: largest worker {children:.0f} MB; bench + FakeSlack {own:.0f} MB")
    return achieved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rate", default="3000", help="messages per minute, or auto")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per Web API call")
    parser.add_argument("--hidden-limit", type=float, help="unannounced posts/min (--rate auto)")
    parser.add_argument("--quiet", type=float, default=0.05, help="share held a minute")
    parser.add_argument("--baseline", type=Path, help="a checkout to run the same fan-out with")
    parser.add_argument("--baseline-rate", help="its --per-minute, if not --rate (e.g. 600)")
    parser.add_argument("--dispatchers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--warm-dms", action="store_true", help="DMs already open")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.dispatchers:
            ours = run(args, count, Path(tmp), None)
            if args.baseline is not None:
                HELD_AT.clear()
                theirs = run(args, count, Path(tmp), args.baseline)
                ratio = f"{ours / theirs:.2f}x" if theirs else "n/a (the baseline sent nothing)"
                print(f"\n{count} dispatcher(s): {ratio} the baseline's rate")


if __name__ == "__main__":
    main()
