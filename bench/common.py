"""What the bench scripts share: a throwaway database to measure on, and a speed check."""

from __future__ import annotations

import random
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text


@contextmanager
def fresh_database(url: str | None, workdir: Path, *, prefix: str) -> Iterator[str]:
    """A SQLite file in `workdir`, or a throwaway schema on the PostgreSQL at `url`."""
    if not url:
        yield f"sqlite:///{workdir / f'{prefix}-{uuid.uuid4().hex[:6]}.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def python_speed() -> float:
    """Seconds this machine takes for a fixed pure-Python workload (best of 3; lower is faster).

    Shared machines change speed by tens of percent from one hour to the next; printing this
    beside the figures tells a slow hour from a slow change.
    """
    rng = random.Random(1)
    numbers = [rng.random() for _ in range(200_000)]
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        counts: dict[int, int] = {}
        for x in sorted(numbers):
            key = int(x * 1000)
            counts[key] = counts.get(key, 0) + 1
        best = min(best, time.perf_counter() - started)
    return best


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
