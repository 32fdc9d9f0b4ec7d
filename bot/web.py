"""The WSGI application `sopbot run` serves: Slack's Request URL and a health check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot.db.session import Database

StartResponse = Callable[..., Any]
EVENTS_PATH = "/slack/events"


def wsgi_app(app: App, database: Database) -> Callable[[dict, StartResponse], Iterable[bytes]]:
    """Route POST /slack/events to bolt and GET /healthz to a database ping."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH)

    def application(environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
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
