"""A TCP proxy in front of the test database that can play a dead database host."""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:`port` to `target`.

    `cut()` drops every open connection and stops accepting: new connections then sit in the
    listen backlog, answered by no one, as when the database host is gone. `heal()` undoes it.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._accepting = threading.Event()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)

    def __enter__(self) -> TcpProxy:
        self._accepting.set()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed.set()
        self._accepting.set()
        self._thread.join(timeout=5)
        self._drop()
        self._listener.close()

    def cut(self) -> None:
        """Play a dead host: drop the open connections, leave new ones unanswered."""
        self._accepting.clear()
        self._drop()

    def heal(self) -> None:
        """Forward again (connections waiting in the backlog included)."""
        self._accepting.set()

    def _drop(self) -> None:
        with self._lock:
            dropped, self._open = self._open, []
        for sock in dropped:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            self._accepting.wait()
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue  # look at the events again
            if self._closed.is_set() or not self._accepting.is_set():
                # Accepted just as it was cut: leave it unanswered, like the backlog.
                with self._lock:
                    self._open.append(client)
                continue
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes one way until either side closes."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
