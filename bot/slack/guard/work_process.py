"""After-ack work in a child process, so the web process's interpreter is left to the acks.

A Python process runs Python code on one core at a time. At 100 requests a second the work after
the acks (5-9 ms of CPU each, bench/request_profile.py) held the interpreter so long that acks
queued behind it (bench/ack_latency.py). `sopbot run` therefore forks one child at start-up,
before any thread exists, and hands it each piece of work over a pipe; the child runs the work on
its own threads, exactly as AfterAck would have here, and says when each piece ends.

Work crosses as a pickle. What the process shares (the SlackContext, its runtime, clients, people
cache, renderers) crosses by name and is the child's own copy on the other side; the rest
(request bodies, response URLs, the feature objects built from the context) crosses by value.
Hand-written because no library pool fits: a ProcessPoolExecutor runs one piece at a time per
process and pickles by value only, and after-ack work mostly waits on Slack.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import multiprocessing
import multiprocessing.util
import os
import pickle
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass
from itertools import count
from multiprocessing.connection import Connection
from typing import Any

from bot import logs, metrics
from bot.slack.guard.after_ack import QUEUE_LIMIT, RESTARTING, AfterAck, Drained, _tell
from bot.slack.kit.notices import plain_notice
from bot.threads import WORK_THREADS

log = logging.getLogger(__name__)
# Values that cross by value whatever they are: no process state hides in them.
PLAIN = (str, bytes, int, float, bool, type(None), tuple, frozenset)
# The child's niceness above the parent's (see _serve).
WORK_NICENESS = 10
# Seconds a stopping parent waits, past the deadline, for the child's account of its drain.
EXIT_SLACK = 2.0


def shared_objects(root: object) -> dict[str, object]:
    """What a process shares, by name: `root`, its attributes, and theirs."""
    found: dict[str, object] = {"": root}
    for name, value in _attributes(root):
        if isinstance(value, PLAIN):
            continue
        found.setdefault(name, value)
        for inner_name, inner in _attributes(value):
            if not isinstance(inner, PLAIN):
                found.setdefault(f"{name}.{inner_name}", inner)
    return found


def _attributes(obj: object) -> Iterator[tuple[str, object]]:
    if is_dataclass(obj) and not isinstance(obj, type):
        for field in fields(obj):
            yield field.name, getattr(obj, field.name)
    else:
        yield from list(getattr(obj, "__dict__", {}).items())


class _Out(pickle.Pickler):
    """Pickles shared objects as their names."""

    def __init__(self, file: io.BytesIO, names: dict[int, str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._names = names

    def persistent_id(self, obj: object) -> str | None:
        return self._names.get(id(obj))


class _In(pickle.Unpickler):
    """Turns shared objects' names back into this process's objects."""

    def __init__(self, file: io.BytesIO, objects: dict[str, object]) -> None:
        super().__init__(file)
        self._objects = objects

    def persistent_load(self, pid: Any) -> object:
        return self._objects[pid]


class Sharing:
    """Both ends of the by-name pickling, for one process's shared objects."""

    def __init__(self, root: object) -> None:
        self.objects = shared_objects(root)
        self.names = {id(value): name for name, value in reversed(self.objects.items())}

    def dumps(self, value: object) -> bytes:
        """`value` as bytes; shared objects as their names."""
        buffer = io.BytesIO()
        _Out(buffer, self.names).dump(value)
        return buffer.getvalue()

    def loads(self, data: bytes) -> Any:
        """Bytes from `dumps`, with this process's shared objects."""
        return _In(io.BytesIO(data), self.objects).load()


class WorkProcess(AfterAck):
    """AfterAck that, once `start`ed, runs the work in a child process; here until then, and
    again if the child dies."""

    def __init__(self, threads: int = WORK_THREADS, queue: int = QUEUE_LIMIT) -> None:
        super().__init__(threads, queue)
        self._size = threads, queue
        self._child: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._sharing: Sharing | None = None
        self._send_lock = threading.Lock()
        self._sent: dict[int, tuple[Any, float]] = {}  # task -> (respond, when handed over)
        self._task_ids = count(1)
        self._report: Drained | None = None
        self._reported = threading.Event()

    @property
    def pid(self) -> int | None:
        """The child's process ID while it runs the work."""
        child = self._child
        return child.pid if child is not None else None

    def start(self, root: object, *, after_fork: Callable[[], None], grace: float) -> bool:
        """Fork the child that runs the work from now on; False (and the work stays here)
        when a thread is already running, since a fork copies no thread but copies its locks."""
        if threading.active_count() > 1:
            log.warning("after-ack work stays in this process: threads were already running")
            return False
        sharing = Sharing(root)
        ours, theirs = multiprocessing.Pipe()
        child = multiprocessing.get_context("fork").Process(
            target=self._serve,
            args=(theirs, ours, sharing, after_fork, grace),
            name="sopbot-work",
            daemon=True,
        )
        child.start()
        theirs.close()
        self._sharing, self._conn, self._child = sharing, ours, child
        # However this process ends, the child hears it (the pipe closes) and ends too. Not
        # atexit: multiprocessing's exit handler, which waits for the child, runs before it.
        multiprocessing.util.Finalize(None, self._let_go, exitpriority=10)
        threading.Thread(target=self._hear_child, name="work-replies", daemon=True).start()
        log.info("after-ack work runs in process %d", child.pid)
        return True

    def submit(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Hand `work(*args, **kwargs)` to the child (or run it here, see the class)."""
        if self._child is None:
            super().submit(work, *args, **kwargs)
            return
        if not self._admit(work, kwargs):
            return
        task_id = next(self._task_ids)
        try:
            data = self._dumps(task_id, work, args, kwargs)
        except Exception:
            self._slots.release()
            log.exception("could not hand %s to the work process; ran it here", _name(work))
            super().submit(work, *args, **kwargs)
            return
        with self._lock:
            self._sent[task_id] = (kwargs.get("respond"), time.perf_counter())
        metrics.AFTER_ACK_DEPTH.inc()
        conn = self._conn
        try:
            if conn is None:
                raise OSError("the work process is gone")
            with self._send_lock:
                conn.send_bytes(data)
        except OSError:
            if self._forget(task_id):  # else the child's end already handed it back
                super().submit(work, *args, **kwargs)

    def _dumps(self, task_id: int, work: Callable[..., Any], args: tuple, kwargs: dict) -> bytes:
        assert self._sharing is not None
        context = (logs.REQUEST_ID.get() or "-", logs.REQUEST_KIND.get() or "-")
        # The task's number outside the work's own pickle: if the child cannot read the work,
        # it can still say that the task ended.
        work_pickle = self._sharing.dumps((work, args, kwargs))
        return pickle.dumps(("work", task_id, context, work_pickle), pickle.HIGHEST_PROTOCOL)

    def _forget(self, task_id: int) -> bool:
        """Drop a task handed over; True if it was still ours to drop."""
        with self._lock:
            sent = self._sent.pop(task_id, None)
        if sent is None:
            return False
        self._slots.release()
        metrics.AFTER_ACK_DEPTH.dec()
        return True

    def _hear_child(self) -> None:
        """Parent's thread: the child's word that a task ended, or its drain's account."""
        conn = self._conn
        assert conn is not None
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            if message[0] == "done":
                with self._lock:
                    sent = self._sent.get(message[1])
                if sent is not None and self._forget(message[1]):
                    metrics.AFTER_ACK_SECONDS.observe(time.perf_counter() - sent[1])
            elif message[0] == "drained":
                self._report = message[1]
                self._reported.set()
        self._child_ended()

    def _child_ended(self) -> None:
        """The pipe closed: unless stopping, the child died; its unfinished work goes back."""
        child, self._child = self._child, None
        with self._lock:
            lost = dict(self._sent)
        if child is not None and not self._closed:
            child.join(timeout=5)
            log.error(
                "the work process ended (exit code %s) with %d pieces of work unfinished, their "
                "people told to try again; after-ack work runs in this process from now",
                child.exitcode,
                len(lost),
            )
        for task_id, (respond, _) in lost.items():
            if self._forget(task_id) and not self._closed:
                _tell(respond, plain_notice(RESTARTING))

    def _let_go(self) -> None:
        """At exit: close the pipe, so the child finishes what it holds and exits."""
        self._closed = True
        conn = self._conn
        if conn is None or conn.closed:
            return
        # A shutdown, not a close: the replies thread is blocked reading this socket, and a
        # close would leave the socket open under that read, so the child would never hear.
        with (
            contextlib.suppress(OSError),
            socket.fromfd(conn.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as duplicate,
        ):
            duplicate.shutdown(socket.SHUT_RDWR)

    def depth(self) -> int:
        """Pieces of work running or waiting, here and in the child."""
        with self._lock:
            sent = len(self._sent)
        return super().depth() + sent

    def drain(self, *, deadline: float) -> Drained:
        """Stop as AfterAck.drain does, in the child (which then exits) and here."""
        child, conn = self._child, self._conn
        if child is None or conn is None:
            return super().drain(deadline=deadline)
        self._closed = True
        with contextlib.suppress(OSError), self._send_lock:
            conn.send(("drain", max(0.0, deadline - time.monotonic())))
        self._reported.wait(max(0.0, deadline - time.monotonic()) + EXIT_SLACK)
        with self._lock:
            unaccounted = len(self._sent)
        child.join(timeout=EXIT_SLACK)
        if child.is_alive():
            child.kill()
            child.join(timeout=EXIT_SLACK)
        there = self._report or Drained(still_running=unaccounted)
        here = super().drain(deadline=deadline)
        return Drained(
            there.finished + here.finished,
            there.handed_back + here.handed_back,
            there.still_running + here.still_running,
        )

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the child (letting its work end if `wait`) and the threads here."""
        if self._child is not None:
            self.drain(deadline=time.monotonic() + (60.0 if wait else 0.0))
        super().shutdown(wait=wait)

    # The child's side -----------------------------------------------------------------------

    def _serve(
        self,
        conn: Connection,
        parents_end: Connection,
        sharing: Sharing,
        after_fork: Callable[[], None],
        grace: float,
    ) -> None:
        """Child: run each piece of work on this process's threads; say when it ends."""
        parents_end.close()
        # Ctrl-C reaches the whole process group and a TERM may be sent to it: the parent
        # decides when the work stops, by a message or by closing the pipe.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        after_fork()
        # Acks first: when the cores are busy, the web process's threads, which a request wakes
        # for half a millisecond of work, must get a core before this process's next slice.
        with contextlib.suppress(OSError):  # a sandbox may forbid it: then only slower acks
            os.nice(WORK_NICENESS)
            if hasattr(os, "sched_setscheduler"):  # Linux: and no preempting them when woken
                os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
        threads, queue = self._size
        # A fresh pool, with room for the pieces whose end the parent has heard of before
        # their threads are free again here.
        AfterAck.__init__(self, threads, queue + threads)
        self._child, self._conn = None, None
        send_lock = threading.Lock()

        def send(message: tuple) -> None:
            with send_lock:
                conn.send(message)

        deadline = None
        while deadline is None:
            try:
                message = pickle.loads(conn.recv_bytes())
            except (EOFError, OSError):  # the parent died: finish what is here, as on a stop
                deadline = time.monotonic() + grace
                break
            if message[0] == "drain":
                deadline = time.monotonic() + message[1]
            else:
                self._take(message, sharing, functools.partial(send, ("done", message[1])))
        report = AfterAck.drain(self, deadline=deadline)
        with contextlib.suppress(OSError):
            send(("drained", report))
        # Now, not at interpreter exit: that would wait for work still running past the deadline.
        logging.shutdown()
        os._exit(0)

    def _take(self, message: tuple, sharing: Sharing, done: Callable[[], None]) -> None:
        _, _, (request_id, kind), work_pickle = message
        with logs.request_context(request_id=request_id, kind=kind):
            try:
                work, args, kwargs = sharing.loads(work_pickle)
            except Exception:
                log.exception("the work process could not read a piece of work")
                done()
                return
            if not self._submit(work, args, kwargs, on_done=done):
                done()


def _name(work: object) -> str:
    return str(getattr(work, "__qualname__", work))
