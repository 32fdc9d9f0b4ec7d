"""Three web processes and two workers on one PostgreSQL database under mixed traffic.

    .venv/bin/python bench/soak.py --database-url URL [--seconds 120] [--rate 50] [--members 300]

A FakeSlack runs in this process (no rate limits enforced). `sopbot run --no-worker` x3 and
`sopbot worker` x2 share a fresh schema. After preparing refund runs for --members people in
#support, an open-loop stream of signed requests goes round-robin to the three web processes
(as a proxy would): /sop commands (refund, order, dinosaur, list, help), Done presses on the
runs' current steps and, one request in a hundred, /feedback. A third of the way in, the refund
SOP gets a new step and `sopbot sops publish` trains its whole audience (the --members people
and the seeded ones); the daily digest falls due during the run. Afterwards it waits for the
outbox to settle and prints: requests, non-2xx and 5xx, ack p50/p90/p99/max (client side: send
to whole reply), lost and duplicated outbox messages (a message is identified by its outbox key,
carried in Slack message metadata), digests posted, and the training fan-out. Exits 0 whatever
it finds.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ack_latency import (  # bench/ is the script's folder, so on sys.path
    DONE,
    SECRET,
    BodyOnly,
    add_users,
    buttons,
    fire,
    postgres_schema,
    quiet_after,
    spawn,
    start_runs,
)
from common import free_port  # bench/ is the script's folder, so on sys.path
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from bot.db.outbox import FAILED, SENT, OutboxMessage
from bot.db.session import Database
from bot.slacksim import DEFAULT_TOKEN, FakeSlack
from bot.slacksim.seed import OPS_MANAGERS, SUPPORT

ROOT = Path(__file__).resolve().parent.parent
# Ten requests: six /sop commands (one of them help), three Done presses, and one more /sop
# that every FEEDBACK_EVERY-th request replaces with a /feedback. Each feedback is copied to the
# owner's DM and the managers channel, and Slack takes about one message a second per channel:
# a heavier stream (an earlier mix had two in ten, 10 a second) only builds a queue there, 2,400
# copies that take 40 minutes to send, with the day's digest behind them in the same channel.
MIX = ("refund", DONE, "order", "list", DONE, "dinosaur", "list", DONE, "order", "")
FEEDBACK_EVERY = 100  # 0.5 a second at 50 req/s
NEW_STEP = "\n### Log the refund\nRole: Agent\nNote the refund in the ticket.\n"


def percentile(values: list[float], p: float) -> float:
    return values[min(len(values) - 1, math.ceil(p / 100 * len(values)) - 1)] if values else 0.0


def start_processes(args, fake: FakeSlack, db: str, tmp: Path, procs: list) -> list[str]:
    """Three web processes (the first publishes the SOPs) and two workers; the web URLs."""
    sops = tmp / "sops"
    shutil.copytree(ROOT / "sops", sops)
    due = (datetime.now(UTC) + timedelta(minutes=4)).replace(second=0, microsecond=0)
    env = {
        "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": db,
        "SOPS_DIR": str(sops),
        "MANAGER_CHANNEL": OPS_MANAGERS,
        "DIGEST_TIME": due.strftime("%H:%M"),
        "DIGEST_TZ": "UTC",
        "PYTHONPATH": str(ROOT),
    }
    print(f"digest due at {due:%H:%M} UTC")
    urls, metrics = [], []
    for n in range(args.web):
        port, metrics_port = free_port(), free_port()
        cmd = [sys.executable, "-m", "bot", "run", "--no-worker", "--host", "127.0.0.1"]
        web_env = {**env, "PORT": str(port), "METRICS_PORT": str(metrics_port)}
        procs.append(spawn(cmd, web_env, port, tmp / f"web{n}.log"))
        urls.append(f"http://127.0.0.1:{port}/slack/events")
        metrics.append(f"http://127.0.0.1:{metrics_port}/metrics")
    for n in range(args.workers):
        port = free_port()  # the worker serves only /metrics there; spawn() polls /healthz
        cmd = [sys.executable, "-m", "bot", "worker", "--per-minute", str(args.per_minute)]
        out = (tmp / f"worker{n}.log").open("wb")
        env_w = {**os.environ, **env, "METRICS_PORT": str(port)}
        procs.append(subprocess.Popen(cmd, env=env_w, stdout=out, stderr=subprocess.STDOUT))
    return urls, metrics


def ack_buckets(metrics: list[str]) -> Counter[float]:
    """Server-side acks at or under each bucket bound, summed over kinds and processes."""
    found: Counter[float] = Counter()
    for url in metrics:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "sopbot_slack_ack_seconds_bucket":
                    found[float(sample.labels["le"])] += sample.value
    return found


def server_side(before: Counter[float], after: Counter[float]) -> str:
    """The share of acks within 100 ms, and the bucket that holds the p99, as bolt measured."""
    moved = {le: after[le] - before[le] for le in after}
    total = moved.get(math.inf, 0)
    if not total:
        return "no acks measured"
    p99 = next(le for le in sorted(moved) if moved[le] >= 0.99 * total)
    within = moved.get(0.1, 0) / total
    return f"{total:.0f} acks; {within:.2%} within 100 ms; p99 <= {p99 * 1000:g} ms (bucket bound)"


def make_body(fake: FakeSlack, url: str, runs: dict[str, str], talkers: list[str]):
    """body(i): request i as Slack would send it now."""
    driver, owners, last = BodyOnly(fake, url, SECRET), list(runs), {}

    def body(i: int) -> str:
        kind = "fb" if i % FEEDBACK_EVERY == FEEDBACK_EVERY // 2 else MIX[i % len(MIX)]
        user = talkers[(i // len(MIX)) % len(talkers)]
        if kind == "fb":
            text = f"refund {1 + i % 5} soak note {i}"
            return driver.command(user, "/feedback", text, channel=SUPPORT).text
        if kind != DONE:
            return driver.command(user, "/sop", kind, channel=SUPPORT).text
        owner = owners[(i // 3) % len(owners)]
        replies = fake.thread(SUPPORT, runs[owner])[1:]
        step = next((m for m in reversed(replies) if DONE in buttons(m)), None)
        if step is not None:  # else the run is over: its last press again, as a double click
            last[owner] = driver.click(owner, step, DONE).text
        return last.get(owner) or driver.command(user, "/sop", "list", channel=SUPPORT).text

    return body


def publish_new_step(tmp: Path, env_db: str, fake: FakeSlack) -> None:
    """Add a step to the refund SOP and publish: a material change that trains its audience."""
    refund = tmp / "sops" / "support" / "refund-request.md"
    text = refund.read_text()
    head, outcome = text.split("\n## Outcome", 1)
    refund.write_text(head.rstrip("\n") + "\n" + NEW_STEP + "\n## Outcome" + outcome)
    env = {**os.environ, "DATABASE_URL": env_db, "SOPS_DIR": str(tmp / "sops")}
    # The fake's URL too: without it the publish would ask slack.com for the audience, fail, and
    # leave the training to the next start-up (an earlier run trained nobody that way).
    env.update(SLACK_BOT_TOKEN=DEFAULT_TOKEN, SLACK_API_URL=fake.api_url, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "bot", "sops", "publish"], env=env, capture_output=True, text=True
    )
    changed = [
        line for line in done.stdout.splitlines() if line.startswith(("changed", "training"))
    ]
    print(f"publish: exit {done.returncode} in {time.perf_counter() - started:.1f} s: {changed}")


def outbox_figures(db: str, fake: FakeSlack) -> dict[str, int]:
    """Lost and duplicated messages: every due row sent once, no key posted twice."""
    database = Database(db)
    try:
        with database.session() as session:
            states = dict(
                session.execute(
                    select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
                ).all()
            )
            now = datetime.now(UTC)
            unsent_due = session.scalar(
                select(func.count()).where(
                    OutboxMessage.state.notin_((SENT, FAILED)), OutboxMessage.next_attempt_at <= now
                )
            )
            training = session.scalar(
                select(func.count()).where(OutboxMessage.key.startswith("training:"))
            )
    finally:
        database.dispose()
    posted = Counter(
        ((c.args.get("metadata") or {}).get("event_payload") or {}).get("key")
        for c in fake.calls_to("chat.postMessage")
        if c.ok
    )
    posted.pop(None, None)
    return {
        "rows": sum(states.values()),
        "sent": states.get(SENT, 0),
        "failed": states.get(FAILED, 0),
        "deferred (quiet hours)": sum(states.values())
        - states.get(SENT, 0)
        - states.get(FAILED, 0)
        - (unsent_due or 0),
        "queued (due, unsent)": unsent_due or 0,
        "duplicated": sum(n - 1 for n in posted.values() if n > 1),
        "training rows": training or 0,
    }


def bench(args, fake: FakeSlack, db: str, tmp: Path, procs: list) -> None:
    urls, metrics = start_processes(args, fake, db, tmp, procs)
    quiet_after(fake, still=3.0)
    users = add_users(fake, args.members)
    count = int(args.rate * args.seconds)
    runs = start_runs(fake, urls[0], users[: min(len(users), count * 3 // 10 // 7 + 10)])
    quiet_after(fake, still=3.0)
    load = os.getloadavg()[0]
    print(
        f"machine: {platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PostgreSQL, load avg {load:.1f} before the load"
    )
    print(
        f"load: {args.rate:g} req/s for {args.seconds:g} s = {count} requests over {args.web} web "
        f"processes, {args.workers} workers; {len(runs)} prepared runs, {len(users)} people added"
    )
    calls_before = len(fake.calls)
    buckets_before = ack_buckets(metrics)
    samples = fire(
        urls, count, args.rate, make_body(fake, urls[0], runs, users), 64,
        at=count // 3, event=lambda: publish_new_step(tmp, db, fake),
    )  # fmt: skip
    buckets_after = ack_buckets(metrics)
    settle_started = time.perf_counter()
    # Drained: nothing due is left unsent (up to 15 minutes); only then can a loss show.
    drain_deadline = time.monotonic() + 900
    while outbox_figures(db, fake)["queued (due, unsent)"] and time.monotonic() < drain_deadline:
        time.sleep(5)
    quiet_after(fake, still=5.0, limit=60)
    # The digest: wait (up to 6 minutes) until it is past due and the tick has run.
    digest_posts = lambda: [  # noqa: E731
        c for c in fake.calls_to("chat.postMessage")
        if c.args.get("channel") == OPS_MANAGERS and "digest" in str(c.args.get("metadata"))
    ]  # fmt: skip
    deadline = time.monotonic() + 240
    while not digest_posts() and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(65)  # one more digest tick on both workers: a second digest would show now
    quiet_after(fake, still=3.0)
    settle = time.perf_counter() - settle_started
    ok = sorted(s.latency * 1000 for s in samples if 200 <= s.status < 300)
    span = max(s.done for s in samples) - min(s.sent for s in samples)
    print(
        f"requests {len(samples)} sent, {len(ok)} 2xx, "
        f"{sum(1 for s in samples if not 200 <= s.status < 300)} not 2xx, "
        f"{sum(1 for s in samples if s.status >= 500)} 5xx, "
        f"{sum(1 for s in samples if s.status == 0)} unanswered; {len(samples) / span:.1f} req/s"
    )
    print(
        f"ack ms: p50 {percentile(ok, 50):.1f}, p90 {percentile(ok, 90):.1f}, "
        f"p99 {percentile(ok, 99):.1f}, max {ok[-1] if ok else 0:.1f}; "
        f"worst send lag {max(s.lag for s in samples) * 1000:.0f} ms"
    )
    p99 = percentile(ok, 99)
    print(f"p99 ack < 100 ms (client side): {'MET' if p99 < 100 else 'MISSED'} ({p99:.1f} ms)")
    print(f"server side (bolt middleware to ack): {server_side(buckets_before, buckets_after)}")
    print(f"outbox: {outbox_figures(db, fake)}")
    print(f"digests posted to the manager channel: {len(digest_posts())}")
    made = Counter(c.method for c in fake.calls[calls_before:])
    print(f"Slack calls during and after the load: {dict(made.most_common(8))}")
    print(f"settled {settle:.0f} s after the last request; load avg {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--web", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-minute", type=float, default=600.0, help="each worker's budget")
    args = parser.parse_args()
    if not (args.database_url or "").startswith("postgresql"):
        parser.error("give --database-url (or TEST_DATABASE_URL) a PostgreSQL URL")
    tmp, schema = Path(tempfile.mkdtemp(prefix="soak-")), f"soak_{uuid.uuid4().hex[:8]}"
    procs: list[subprocess.Popen] = []
    fake = FakeSlack().start()
    try:
        db = postgres_schema(args.database_url, schema, create=True)
        bench(args, fake, db, tmp, procs)
    except BaseException:
        for log in sorted(tmp.glob("*.log")):
            print(f"--- end of {log.name}:\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        for proc in procs:
            proc.terminate()
        codes = []
        for proc in procs:
            try:
                codes.append(proc.wait(timeout=40))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append("killed")
        print(f"exit codes after SIGTERM: {codes}")
        fake.stop()
        postgres_schema(args.database_url, schema, create=False)
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
