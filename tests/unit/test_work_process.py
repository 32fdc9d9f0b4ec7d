"""After-ack work crosses to the child as a pickle: shared objects by name, the rest by value."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field

import pytest

from bot.slack.guard.work_process import Sharing, WorkProcess
from tests.round_trip import RoundTripWork


class Engine:
    """Stands for what must never be copied: a database engine, a client."""

    def __reduce__(self):
        raise TypeError("an engine cannot be pickled")


@dataclass(frozen=True)
class Runtime:
    engine: Engine = field(default_factory=Engine)
    name: str = "sopbot"


@dataclass(frozen=True)
class Context:
    runtime: Runtime = field(default_factory=Runtime)
    client: Engine = field(default_factory=Engine)


class Runner:
    """A feature object built from the context, as bot/slack/runs/runner.py's."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.engine, self.seen = ctx, ctx.runtime.engine, []

    def start(self, *, slug: str) -> tuple:
        return self, slug


def test_shared_objects_cross_by_name_and_keep_their_identity():
    ctx = Context()
    sharing = Sharing(ctx)
    runner = Runner(ctx)
    copy = sharing.loads(sharing.dumps(runner))
    assert copy is not runner  # built from the context: by value
    assert copy.ctx is ctx and copy.engine is ctx.runtime.engine and copy.ctx.client is ctx.client


def test_the_other_side_resolves_names_to_its_own_objects():
    ours, theirs = Context(), Context()
    data = Sharing(ours).dumps(Runner(ours).start)
    method = Sharing(theirs).loads(data)
    runner, slug = method(slug="refund")
    assert runner.ctx is theirs and runner.engine is theirs.runtime.engine and slug == "refund"


def test_what_is_not_shared_and_cannot_be_pickled_is_refused():
    sharing = Sharing(Context())
    with pytest.raises(TypeError):
        sharing.dumps(Engine())  # not the context's engine: a copy would be a second one
    local = lambda: None  # noqa: E731 - a closure has no name to pickle by
    with pytest.raises((pickle.PicklingError, AttributeError)):
        sharing.dumps(local)


def test_round_trip_runs_the_unpickled_work_here():
    ctx = Context()
    work = RoundTripWork(threads=1, queue=1)
    work.share(ctx)
    runner = Runner(ctx)
    work.submit(_record, runner=runner)
    with pytest.raises((pickle.PicklingError, AttributeError)):
        work.submit(lambda: None)  # a closure cannot cross: every e2e test would fail on one
    work.shutdown(wait=True)
    assert len(_RAN) == 1
    assert _RAN[0] is not runner and _RAN[0].ctx is ctx  # a copy, on this process's context


_RAN: list[Runner] = []


def _record(*, runner: Runner) -> None:
    _RAN.append(runner)


def test_the_child_says_a_task_ended_even_when_it_cannot_read_the_work(caplog):
    ctx = Context()
    sharing, work = Sharing(ctx), WorkProcess(threads=1, queue=1)
    ended: list[str] = []
    good = sharing.dumps((_record, (), {"runner": Runner(ctx)}))
    work._take(("work", 1, ("req1", "command"), good), sharing, lambda: ended.append("good"))
    work._take(
        ("work", 2, ("req2", "command"), b"not a pickle"), sharing, lambda: ended.append("bad")
    )
    work.shutdown(wait=True)
    assert sorted(ended) == ["bad", "good"]
    assert "could not read a piece of work" in caplog.text


def test_no_fork_while_another_thread_runs(caplog):
    """A fork copies no thread, only the locks one may hold: the work then stays here."""
    import threading

    stop = threading.Event()
    running = threading.Thread(target=stop.wait, daemon=True)
    running.start()
    work = WorkProcess(threads=1, queue=1)
    try:
        assert work.start(Context(), after_fork=lambda: None, grace=1.0) is False
    finally:
        stop.set()
        running.join()
    assert work.pid is None
    assert "threads were already running" in caplog.text
