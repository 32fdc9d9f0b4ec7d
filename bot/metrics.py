"""Every Prometheus metric sopbot exports, and the server for GET /metrics on METRICS_PORT.

Each process (`sopbot run`, `sopbot worker`) serves its own numbers; Prometheus scrapes every
process and sums across them (see docs/operations.md). Labels are bounded sets: request kinds,
outcomes, job ids; never a person, a channel or any text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

log = logging.getLogger(__name__)

# Acks must be well under Slack's 3 s; the buckets resolve the fast end.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
WORK_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0)

REQUESTS = Counter(
    "sopbot_slack_requests",
    "Slack requests handled, by kind (command, block_actions, view_submission, event:TYPE...) "
    "and outcome (ok, refused, error)",
    ["kind", "outcome"],
)
ACK_SECONDS = Histogram(
    "sopbot_slack_ack_seconds",
    "Seconds from a verified Slack request reaching bolt to its acknowledgement",
    ["kind"],
    buckets=ACK_BUCKETS,
)
AFTER_ACK_DEPTH = Gauge(
    "sopbot_after_ack_queue_depth", "Pieces of after-ack work running or waiting for a thread"
)
AFTER_ACK_SECONDS = Histogram(
    "sopbot_after_ack_work_seconds",
    "Seconds from a listener handing work over after its ack to that work ending",
    buckets=WORK_BUCKETS,
)
AFTER_ACK_REFUSED = Counter(
    "sopbot_after_ack_refused", "After-ack work refused: the queue was full, or shutting down"
)
SENDS = Counter(
    "sopbot_outbox_sends",
    "Outbox sending attempts by outcome: ok, 429 (rate limited), error (will retry), gave_up",
    ["outcome"],
)
DIGEST_SECONDS = Histogram(
    "sopbot_digest_seconds", "Seconds to build and queue one daily digest", buckets=JOB_BUCKETS
)
ROLLUP_SECONDS = Histogram(
    "sopbot_rollup_seconds", "Seconds of one KPI rollup pass", buckets=JOB_BUCKETS
)
JOB_RUNS = Counter(
    "sopbot_job_runs", "Scheduled job runs by job and outcome (ok, failed)", ["job", "outcome"]
)
JOB_SECONDS = Histogram(
    "sopbot_job_seconds", "Seconds per scheduled job run", ["job"], buckets=JOB_BUCKETS
)


@dataclass(frozen=True)
class OutboxState:
    """What the outbox holds right now."""

    by_state: dict[str, int]
    oldest_waiting_seconds: float


class OutboxCollector(Collector):
    """Outbox depth by state and the age of the oldest waiting row, read at scrape time."""

    def __init__(self, probe: Callable[[], OutboxState]) -> None:
        self._probe = probe

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "sopbot_outbox_depth",
            "Outbox rows by state (shared by every process)",
            labels=["state"],
        )
        oldest = GaugeMetricFamily(
            "sopbot_outbox_oldest_waiting_seconds",
            "Age of the oldest outbox row not yet sent or failed (0 when none waits)",
        )
        up = GaugeMetricFamily(
            "sopbot_outbox_probe_up", "1 if the outbox could be read for this scrape, else 0"
        )
        try:
            state = self._probe()
        except Exception as exc:  # noqa: BLE001 - a scrape must answer while the database is down
            log.warning("metrics: outbox not readable (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        for name, count in sorted(state.by_state.items()):
            depth.add_metric([name], count)
        oldest.add_metric([], state.oldest_waiting_seconds)
        up.add_metric([], 1)
        yield from (depth, oldest, up)


_outbox: OutboxCollector | None = None


def watch_outbox(probe: Callable[[], OutboxState]) -> None:
    """Export the outbox gauges read by `probe` (one probe per process; a new one replaces)."""
    global _outbox
    if _outbox is not None:
        REGISTRY.unregister(_outbox)
    _outbox = OutboxCollector(probe)
    REGISTRY.register(_outbox)


def serve(port: int, *, host: str = "0.0.0.0") -> Callable[[], None]:
    """Serve GET /metrics on host:port on a daemon thread; returns a function that stops it."""
    server, thread = start_http_server(port, addr=host)
    log.info("metrics on http://%s:%d/metrics", host, port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop
