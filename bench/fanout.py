"""How close `sopbot worker` gets to its rate limit on a large DM fan-out, and that it loses none.

    .venv/bin/python bench/fanout.py [--members 5000] [--rate 3000] [--dispatchers 1 2]
                                     [--warm-dms] [--database-url URL]

Starts a FakeSlack in this process with Slack's rate limits enforced (1 post per second per
channel, tier limits per method; the tier-3 methods the dispatcher uses are scaled to --rate,
since at the real 50 a minute 5,000 DMs take 100 minutes), enqueues one DM per member, runs
that many `python -m bot worker --per-minute RATE` processes against one database, and reports
time to deliver versus what RATE allows, duplicates, losses, 429s and peak memory. With
--warm-dms every member's DM is already open (a later fan-out to the same people).
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
from pathlib import Path

from common import fresh_database  # bench/ is the script's folder, so on sys.path

from bot.db import migrate, outbox
from bot.db.models import utcnow
from bot.db.session import Database
from bot.db.sops import default_workspace
from bot.slacksim import DEFAULT_TOKEN, FakeSlack

ROOT = Path(__file__).resolve().parent.parent
TIER3 = ("conversations.open", "conversations.history", "conversations.replies", "chat.update")


def enqueue_fanout(database: Database, fake: FakeSlack, members: list[str], warm: bool) -> float:
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
            )
    return time.perf_counter() - started


def start_worker(url: str, fake: FakeSlack, rate: float, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))}
    env.update(DATABASE_URL=url, SLACK_BOT_TOKEN=DEFAULT_TOKEN, SLACK_API_URL=fake.api_url)
    command = [sys.executable, "-m", "bot", "worker", "--per-minute", str(rate)]
    command += ["--tier3-per-minute", str(rate)]
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


def deliveries(fake: FakeSlack, members: list[str]) -> Counter[str]:
    """Messages in each member's DM with the bot."""
    wanted = set(members)
    found: Counter[str] = Counter()
    with fake.ws.lock:
        for channel in fake.ws.channels.values():
            if channel.is_im and channel.im_user in wanted:
                found[channel.im_user] = len(fake.ws.channel_messages(channel.id))
    return found


def run(args: argparse.Namespace, dispatchers: int, workdir: Path) -> None:
    fake = FakeSlack().start()
    fake.enforce_rate_limits(
        chat_postMessage_per_channel_per_sec=1.0, per_minute=dict.fromkeys(TIER3, args.rate)
    )
    members = [fake.ws.add_user(name=f"member{i:05d}").id for i in range(args.members)]
    with fresh_database(args.database_url, workdir, prefix="fanout") as url:
        database = Database(url)
        migrate.upgrade(database.engine)
        enqueue_seconds = enqueue_fanout(database, fake, members, args.warm_dms)
        allowed = (args.members - 1) / args.rate * 60
        started = time.monotonic()
        log = workdir / f"workers-{dispatchers}.log"
        workers = [start_worker(url, fake, args.rate, log) for _ in range(dispatchers)]
        counts = wait_for_outbox(database, args.members, started + allowed * 3 + 120)
        wall = time.monotonic() - started
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        exits = [worker.wait(timeout=60) for worker in workers]
        database.dispose()
    posts = [c for c in fake.calls_to("chat.postMessage") if c.ok]
    window = posts[-1].at - posts[0].at if len(posts) > 1 else float("nan")
    achieved = (len(posts) - 1) / window * 60 if len(posts) > 1 else 0.0
    got = deliveries(fake, members)
    limited = Counter(c.method for c in fake.calls if c.status == 429)
    opens = len(fake.calls_to("conversations.open"))
    history = len(fake.calls_to("conversations.history"))
    fake.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\n== {dispatchers} dispatcher(s), {args.members} DMs at --rate {args.rate:g}/min ==")
    print(f"enqueue (one transaction)      {enqueue_seconds:8.2f} s")
    print(f"first to last post             {window:8.2f} s   (the limit allows {allowed:.2f} s)")
    print(
        f"achieved rate                  {achieved:8.0f} /min = {achieved / args.rate:.1%} of limit"
    )
    print(f"wall time incl. worker start   {wall:8.2f} s")
    delivered = sum(1 for n in got.values() if n)
    duplicated = sum(1 for n in got.values() if n > 1)
    print(
        f"delivered / duplicates / lost  {delivered:8} / {duplicated} / {args.members - delivered}"
    )
    print(f"outbox states                  {counts}")
    print(f"429s by method                 {dict(limited) or 'none'}")
    print(f"conversations.open / .history  {opens} / {history}")
    print(f"worker exit codes              {exits}")
    print(f"peak RSS: largest worker {children:.0f} MB; bench + FakeSlack {own:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=3000, help="messages per minute")
    parser.add_argument("--dispatchers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--warm-dms", action="store_true", help="DMs already open")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.dispatchers:
            run(args, count, Path(tmp))


if __name__ == "__main__":
    main()
