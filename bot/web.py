"""The WSGI application `sopbot run` serves: Slack's Request URL, liveness and readiness."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from waitress.server import create_server

from bot.db import migrate
from bot.db.session import Database
from bot.threads import HTTP_THREADS
from bot.web_guard import MAX_BODY, PARSED_BODY, signed_only

StartResponse = Callable[..., Any]
EVENTS_PATH = "/slack/events"
TEXT = [("Content-Type", "text/plain; charset=utf-8")]
UNAVAILABLE = "503 Service Unavailable"


def wsgi_app(
    app: App, database: Database, *, signing_secret: str, extra: Callable | None = None
) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """Route POST /slack/events through the signature guard to bolt; /healthz and /readyz.

    `extra` (the playground's page and API) gets "/" and everything under "/play/".
    """
    slack = signed_only(ParsedOnce(app, path=EVENTS_PATH), signing_secret=signing_secret)
    # Read once: the installed migration scripts do not change while the process runs.
    head, known = migrate.head_revision(), migrate.known_revisions()

    def application(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if extra is not None and (path == "/" or path.startswith("/play/")):
            return extra(environ, start_response)
        if path == "/healthz":
            # Liveness: this process answers HTTP. It never touches the database, so an
            # orchestrator restarts a wedged process, not every process while PostgreSQL is down.
            start_response("200 OK", TEXT)
            return [b"ok"]
        if path == "/readyz":
            status, body = _ready(database, head, known)
            start_response(status, TEXT)
            return [body]
        if path == EVENTS_PATH and environ.get("REQUEST_METHOD") == "POST":
            return slack(environ, start_response)
        start_response("404 Not Found", TEXT)
        return [b"not found"]

    return application


class ParsedOnce(SlackRequestHandler):
    """Bolt's WSGI handler, handing bolt the body the signature guard has parsed already."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        parsed = request.environ.get(PARSED_BODY)
        if parsed is None:
            return super().dispatch(request)
        headers = request.get_headers()
        # A dict body is how bolt takes a parsed one (its Socket Mode path); the request is
        # then marked HTTP again, raw body and all, so bolt still checks the signature itself.
        bolt = BoltRequest(
            body=parsed, query=request.query_string, headers=headers, mode="socket_mode"
        )
        bolt.raw_body, bolt.mode = request.get_body(), "http"
        return self.app.dispatch(bolt)


def _ready(database: Database, head: str, known: frozenset[str]) -> tuple[str, bytes]:
    """Readiness: the database answers and is migrated to this sopbot's head; else 503 and why."""
    try:
        at = migrate.current_revision(database.engine)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said plainly
        return UNAVAILABLE, f"database unavailable: {type(exc).__name__}".encode()
    if at == head:
        return "200 OK", b"ready"
    if at is not None and at not in known:
        return UNAVAILABLE, f"database ahead of this sopbot: at {at}, head {head}".encode()
    return UNAVAILABLE, f"migrations behind: at {at or 'none'}, head {head}".encode()


class HttpServer:
    """A waitress server for a WSGI app, run in the foreground or on a background thread."""

    def __init__(
        self,
        application: Callable,
        *,
        host: str,
        port: int,
        threads: int = HTTP_THREADS,
        loop_timeout: float = 1.0,
    ) -> None:
        self._server = create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            ident="sopbot",
            # Bounds how long stop() waits for the accept loop to notice.
            asyncore_loop_timeout=loop_timeout,
            # waitress answers 413 itself past this, before buffering (its default is 1 GiB).
            max_request_body_size=MAX_BODY,
            # Slack's headers are a few hundred bytes; the default allows 256 kB per request.
            max_request_header_size=16 * 1024,
            # Open connections (not threads: a half-sent request holds no thread). Past the
            # limit waitress stops accepting, so at 100 (its default) a hundred stalled clients
            # locked out /healthz; 500 stays well under select()'s 1024 descriptors.
            connection_limit=500,
            # A connection quiet this long is closed (default 120 s). Slack sends a whole
            # request at once and wants an answer within 3 s; 15 s spares slow networks.
            channel_timeout=15,
            # How often quiet connections are looked for and closed (default 30 s).
            cleanup_interval=5,
        )
        self.host, self.port = host, self._server.effective_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:3000."""
        return f"http://{self.host}:{self.port}"

    def serve_forever(self) -> None:
        """Serve until interrupted."""
        self._server.run()

    def start(self) -> HttpServer:
        """Serve on a daemon thread and return at once."""
        self._stopping = threading.Event()
        self._drain_until = 0.0
        self._thread = threading.Thread(target=self._serve_until_stopped, name="http", daemon=True)
        self._thread.start()
        return self

    def _serve_until_stopped(self) -> None:
        # One poll at a time, so the socket is closed on this thread after the last poll and
        # never under a select() still running (waitress has no cross-thread shutdown).
        server = self._server

        def poll() -> None:
            server.asyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map, count=1)

        while not self._stopping.is_set():
            poll()
        # Stop accepting (the listening socket closes: new connections are refused), then keep
        # polling so the requests already in hand are answered, until the drain deadline.
        server.asyncore.dispatcher.close(server)
        while time.monotonic() < self._drain_until and self._busy():
            poll()
        # Idle worker threads need a moment to see the stop; with none, waitress warns of them.
        server.task_dispatcher.shutdown(timeout=max(1.0, self._drain_until - time.monotonic()))
        with contextlib.suppress(OSError):
            server.asyncore.close_all(server._map)

    def _busy(self) -> bool:
        """Whether a request is being handled, waiting, or has an answer not yet sent."""
        server = self._server
        tasks = server.task_dispatcher
        channels = [c for c in list(server._map.values()) if c is not server.trigger]
        return bool(
            tasks.active_count
            or tasks.queue
            or any(
                getattr(c, "requests", None) or getattr(c, "total_outbufs_len", 0) for c in channels
            )
        )

    def stop(self, *, drain: float = 0.0) -> None:
        """Stop accepting; answer the requests in hand for up to `drain` seconds; free the port."""
        if self._thread is None:
            self._server.close()
            return
        self._drain_until = time.monotonic() + drain
        self._stopping.set()
        self._thread.join(timeout=drain + 5)
