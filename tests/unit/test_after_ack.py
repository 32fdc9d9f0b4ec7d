"""The after-ack pool: bounded, so a flood of work is refused kindly instead of piling up."""

from __future__ import annotations

import logging
import threading

from bot.slack.guard.after_ack import BUSY, AfterAck


class Respond:
    """Records what would go to a request's response_url."""

    response_url = "https://hooks.slack.com/commands/T1/1/x"

    def __init__(self) -> None:
        self.sent: list[dict] = []

    def __call__(self, message: dict) -> None:
        self.sent.append(message)


def test_work_beyond_the_queue_is_refused_with_a_busy_note_and_never_runs(caplog):
    pool = AfterAck(threads=1, queue=2)
    release, ran = threading.Event(), []

    def blocked(name: str, *, respond: Respond) -> None:
        release.wait(10)
        ran.append(name)

    people = [Respond() for _ in range(4)]
    with caplog.at_level(logging.WARNING, logger="bot.slack.guard.after_ack"):
        for n, respond in enumerate(people):
            pool.submit(blocked, f"secret text {n}", respond=respond)
    release.set()
    pool._pool.shutdown(wait=True)

    # One running and two waiting fit; the fourth is told sopbot is busy and nothing else.
    assert sorted(ran) == ["secret text 0", "secret text 1", "secret text 2"]
    assert [p.sent for p in people[:3]] == [[], [], []]
    (busy,) = people[3].sent
    assert busy["text"] == BUSY and busy["response_type"] == "ephemeral"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "secret" not in warnings[0].getMessage()


def poll(condition, *, what: str) -> None:
    """Wait up to ten seconds for `condition()`."""
    done = threading.Event()
    for _ in range(1000):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_finished_work_frees_its_place_in_the_queue():
    pool = AfterAck(threads=1, queue=0)
    ran: list[int] = []
    for n in range(5):
        # Its place is given back just after a piece of work returns, so a submit right then
        # may still find it taken: try again until the pool takes the work.
        def taken(n: int = n) -> bool:
            respond = Respond()
            pool.submit(lambda *, respond: ran.append(n), respond=respond)
            return not respond.sent

        poll(taken, what=f"work {n} to be taken")
        poll(lambda n=n: n in ran, what=f"work {n} to run")
    pool._pool.shutdown(wait=True)
    assert ran == [0, 1, 2, 3, 4]
