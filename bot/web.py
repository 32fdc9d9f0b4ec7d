"""The WSGI application `sopbot run` serves: Slack's Request URL and a health check."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot.db.session import Database

StartResponse = Callable[..., Any]
EVENTS_PATH = "/slack/events"


def wsgi_app(
    app: App, database: Database, *, extra: Callable | None = None
) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """Route POST /slack/events to bolt and GET /healthz to a database ping.

    `extra` (the playground's page and API) gets "/" and everything under "/play/".
    """
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if extra is not None and (path == "/" or path.startswith("/play/")):
            return extra(environ, start_response)
        if path == "/healthz":
            status, body = _health(database)
            start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
            return [body]
        return slack(environ, start_response)

    return application


def _health(database: Database) -> tuple[str, bytes]:
    try:
        with database.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", said plainly
        return "503 Service Unavailable", f"database unavailable: {type(exc).__name__}".encode()
    return "200 OK", b"ok"


class HttpServer:
    """A waitress server for a WSGI app, run in the foreground or on a background thread."""

    def __init__(
        self,
        application: Callable,
        *,
        host: str,
        port: int,
        threads: int = 16,
        loop_timeout: float = 1.0,
    ) -> None:
        from waitress.server import create_server

        # loop_timeout bounds how long stop() waits for the accept loop to notice.
        self._server = create_server(
            application,
            host=host,
            port=port,
            threads=threads,
            ident="sopbot",
            asyncore_loop_timeout=loop_timeout,
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
        self._thread = threading.Thread(target=self._serve_until_stopped, name="http", daemon=True)
        self._thread.start()
        return self

    def _serve_until_stopped(self) -> None:
        # One poll at a time, so the socket is closed on this thread after the last poll and
        # never under a select() still running (waitress has no cross-thread shutdown).
        server = self._server
        while not self._stopping.is_set():
            server.asyncore.loop(timeout=server.adj.asyncore_loop_timeout, map=server._map, count=1)
        server.task_dispatcher.shutdown()
        server.close()

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._thread is None:
            self._server.close()
            return
        self._stopping.set()
        self._thread.join(timeout=5)
