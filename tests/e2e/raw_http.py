"""Raw HTTP for the guard tests: byte-exact signing, a recording listener, half-sent requests."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


def sign(body: bytes, secret: str, ts: int | None = None) -> dict[str, str]:
    """Slack's signature over the raw bytes (slack_sdk's signer needs text, so no bad UTF-8)."""
    timestamp = str(int(time.time()) if ts is None else ts)
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


class Recorder:
    """An HTTP listener on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test asserts on `requests`, not on an access log."""

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.requests.append(("POST", self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,))

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/commands/T1/1/secret"

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def exchange(base_url: str, request: bytes, *, timeout: float = 10.0) -> tuple[int, bytes]:
    """Send raw request bytes on a fresh connection; the status code and the whole answer."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


@contextmanager
def half_sent(base_url: str, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections that each sent half a request and then went quiet."""
    parts = urlsplit(base_url)
    start = (
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type"'
    )
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
            sockets.append(sock)
            sock.sendall(start)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def get(url: str, *, timeout: float) -> tuple[int, bytes]:
    """GET `url`: status and body, also for error statuses."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
