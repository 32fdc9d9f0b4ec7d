"""Fixtures for the fake Slack's own tests: a started fake, a client, a bolt app over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient

from bot.slacksim import FakeSlack, ManualClock, default_workspace
from bot.slacksim.driver import SlackDriver

SIGNING_SECRET = "sim-signing-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def slow_fake(clock: ManualClock) -> Iterator[FakeSlack]:
    """A fake whose clock only moves when the test advances it."""
    with FakeSlack(default_workspace(clock=clock.time)) as running:
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return fake.client()


class BoltServer:
    """Serves a bolt App at /slack/events on 127.0.0.1, the way app.start() would, in a thread."""

    def __init__(self, app: App) -> None:
        bolt_app = app

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Silent: the tests read the fake's transcript, not an access log."""

            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if path != "/slack/events":
                    self.send_response(404)
                    self.end_headers()
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                response = bolt_app.dispatch(BoltRequest(body=body, query=query, headers=headers))
                payload = response.body.encode()
                self.send_response(response.status)
                for name, values in response.headers.items():
                    for value in values:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/slack/events"

    def __enter__(self) -> BoltServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def signing_secret() -> str:
    return SIGNING_SECRET


@pytest.fixture
def app(fake: FakeSlack) -> App:
    """A bolt App whose Web API calls go to the fake."""
    return App(client=fake.client(), signing_secret=SIGNING_SECRET)


@pytest.fixture
def driver(fake: FakeSlack, app: App) -> Iterator[SlackDriver]:
    """A driver delivering signed requests to `app` served over HTTP."""
    with BoltServer(app) as server:
        yield SlackDriver(fake, server.url, SIGNING_SECRET)
