"""FakeSlack: the simulated Web API served over real HTTP on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from slack_sdk import WebClient

from bot.slacksim import api_chat, api_conversations, api_files, api_people, api_views
from bot.slacksim.api_common import ApiRequest, Handler, SlackError
from bot.slacksim.clock import Clock
from bot.slacksim.faults import Faults
from bot.slacksim.interactions import issue_response_url, issue_trigger, post_to_response_url
from bot.slacksim.loopback import is_loopback
from bot.slacksim.seed import default_workspace
from bot.slacksim.transcript import Call, TranscriptQueries
from bot.slacksim.workspace import Workspace

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "xoxb-sim-0000000000-sopbot"
METHODS: dict[str, Handler] = {
    **api_chat.METHODS,
    **api_conversations.METHODS,
    **api_people.METHODS,
    **api_views.METHODS,
    **api_files.METHODS,
}
JSON_ARGS = ("blocks", "attachments", "metadata", "view", "files")


@dataclass
class Reply:
    """What the HTTP layer writes back (or, with `drop`, the connection it cuts)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, status: int, data: dict, headers: dict[str, str] | None = None) -> Reply:
        content = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(data).encode(), content)


def _readable_args(args: dict[str, Any]) -> dict[str, Any]:
    """Args with JSON-string fields decoded, so tests read them the same whatever the encoding."""
    readable = dict(args)
    for name in JSON_ARGS:
        if isinstance(readable.get(name), str):
            with contextlib.suppress(json.JSONDecodeError):
                readable[name] = json.loads(readable[name])
    return readable


class FakeSlack(TranscriptQueries):
    """A simulated Slack workspace with a real HTTP Web API; point WebClient(base_url=...) at it."""

    def __init__(
        self,
        workspace: Workspace | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        clock: Clock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        loopback_only: bool = False,
    ) -> None:
        self.ws = workspace or default_workspace()
        if clock is not None:
            self.ws.clock = clock
        self.token = token
        # Served to a browser's machine (the playground): refuse requests a web page could make.
        self.loopback_only = loopback_only
        self.calls: list[Call] = []
        self.faults = Faults(lambda: self.ws.clock())
        self.latency = 0.0  # seconds every Web API call takes, as Slack's 100-300 ms do
        # The token's scopes, sent as Slack does in every Web API answer's `x-oauth-scopes`
        # header; None sends no header.
        self.scopes: tuple[str, ...] | None = None
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Serve on an ephemeral port in a daemon thread."""
        server = ThreadingHTTPServer(self._address, _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        # A short poll interval keeps stop() quick; tests start and stop a fake each.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the server, ending in a slash."""
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def api_url(self) -> str:
        """What to pass as WebClient(base_url=...)."""
        return self.url + "api/"

    @property
    def clock(self) -> Clock:
        return self.ws.clock

    def client(self, **kwargs: Any) -> WebClient:
        """A WebClient with the valid bot token, aimed at this fake."""
        return WebClient(token=self.token, base_url=self.api_url, **kwargs)

    # -- failure injection -----------------------------------------------------------------------

    def fail(self, method: str, error: str = "ratelimited", **kwargs: Any) -> None:
        """Make the next call(s) of `method` fail; see Faults.fail for the options."""
        self.faults.fail(method, error, **kwargs)

    def chaos(self, methods: Any = None, **kwargs: Any) -> None:
        """Fail a seeded-random share of calls; see Faults.chaos."""
        self.faults.chaos(methods, **kwargs)

    def slow(self, method: str, seconds: float) -> None:
        """Answer every call of `method` `seconds` late; see Faults.slow."""
        self.faults.slow(method, seconds)

    def calm(self) -> None:
        """Remove every injected failure, delay and rate limit."""
        self.faults.calm()

    def enforce_rate_limits(self, **kwargs: Any) -> None:
        """Answer 429 past Slack's tier limits; see Faults.enforce_rate_limits."""
        self.faults.enforce_rate_limits(**kwargs)

    # -- handles for the driver ------------------------------------------------------------------

    def issue_trigger(self, user: str) -> str:
        """A trigger_id for `user`, valid 3 seconds (by the workspace clock) and once."""
        return issue_trigger(self.ws, self.ws.user_id(user))

    def issue_response_url(self, *, channel: str, user: str, **source: Any) -> str:
        """A response_url good for 5 posts within 30 minutes."""
        return issue_response_url(
            self.ws,
            self.url,
            channel=self.ws.channel_id(channel) if channel not in self.ws.channels else channel,
            user=self.ws.user_id(user),
            **source,
        )

    # -- requests ----------------------------------------------------------------------------------

    def handle_api(self, method: str, headers: Any, query: str, body: bytes) -> Reply:
        """Answer one Web API call the way Slack would."""
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
        is_json = "application/json" in (headers.get("Content-Type") or "")
        try:
            if body and is_json:
                data = json.loads(body.decode())
                if not isinstance(data, dict):
                    raise ValueError("not an object")
                args.update(data)
            elif body:
                args.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
        except (UnicodeDecodeError, ValueError):
            return self._answer(method, args, SlackError("invalid_json").body(), 200)
        auth = headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
        form_token = args.pop("token", None)
        if token is None and not is_json:
            token = form_token  # JSON bodies must authenticate with the header
        if not token:
            return self._answer(method, args, SlackError("not_authed").body(), 200)
        if token != self.token:
            return self._answer(method, args, SlackError("invalid_auth").body(), 200)
        handler = METHODS.get(method)
        if handler is None:
            error = SlackError("unknown_method", extra={"req_method": method})
            return self._answer(method, args, error.body(), 200)
        # Slack's own 100-300 ms per call (latency) and any method a test made slow.
        delay = self.latency + self.faults.delay(method)
        if delay > 0:
            time.sleep(delay)  # on this request's own thread, as the network would
        failure = self.faults.check(method, args)
        if failure is not None and failure.drop_connection:
            if failure.land:
                self._run(handler, method, args, dropped=True)
            else:
                self._answer(method, args, {"ok": False, "error": failure.error}, 0, dropped=True)
            return Reply(0, drop=True)
        if failure is not None:
            retry_after = failure.retry_after
            headers_out = {} if retry_after is None else {"Retry-After": str(retry_after)}
            body_out = {"ok": False, "error": failure.error}
            return self._answer(method, args, body_out, failure.status, headers_out)
        return self._run(handler, method, args)

    def _run(self, handler: Handler, method: str, args: dict, *, dropped: bool = False) -> Reply:
        request = ApiRequest(method=method, args=args, ws=self.ws, base_url=self.url)
        # The change and its call land together: whoever waits for one (a Home tab shown) then
        # finds the other in the transcript. Handlers never call out, so holding it is safe.
        with self.ws.lock:
            try:
                data, status = {"ok": True, **handler(request)}, 200
            except SlackError as exc:
                data, status = exc.body(), exc.status
            except Exception:
                log.exception("fake Slack failed on %s", method)
                data, status = {"ok": False, "error": "internal_error"}, 500
            return self._answer(method, args, data, status, dropped=dropped)

    def _answer(
        self,
        method: str,
        args: dict,
        data: dict,
        status: int,
        headers: dict[str, str] | None = None,
        *,
        dropped: bool = False,
    ) -> Reply:
        call = Call(method, _readable_args(args), data, self.ws.now(), status, dropped)
        self.record(call)
        if self.scopes is not None:
            headers = {**(headers or {}), "x-oauth-scopes": ",".join(self.scopes)}
        return Reply.json(status, data, headers)

    def handle_upload(self, file_id: str, body: bytes) -> Reply:
        """A POST of file bytes to an upload_url."""
        failure = self.faults.check("upload", {})
        if failure is not None:
            status = failure.status or 500
            return Reply(status, failure.error.encode(), drop=failure.drop_connection)
        status, text = api_files.receive_upload(self.ws, file_id, body)
        args = {"file_id": file_id, "bytes": len(body)}
        self.record(Call("upload", args, {"ok": status == 200}, self.ws.now(), status))
        return Reply(status, text.encode(), {"Content-Type": "text/plain; charset=utf-8"})

    def handle_response_url(self, token: str, body: bytes) -> Reply:
        """A POST to a response_url."""
        failure = self.faults.check("response_url", {})
        if failure is not None:
            return Reply.json(failure.status or 500, {"ok": False, "error": failure.error})
        status, data = post_to_response_url(self.ws, token, body)
        try:
            args = json.loads(body.decode() or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            args = {"raw": body.decode(errors="replace")}
        self.record(Call("response_url", {"token": token, **args}, data, self.ws.now(), status))
        return Reply.json(status, data)

    def handle_file_download(self, file_id: str, headers: Any) -> Reply:
        """GET of a file's url_private (needs the bot token, as on Slack)."""
        if (headers.get("Authorization") or "") != f"Bearer {self.token}":
            return Reply(403, b"forbidden")
        upload = self.ws.files.get(file_id)
        if upload is None or upload.content is None:
            return Reply(404, b"file_not_found")
        return Reply(200, upload.content, {"Content-Type": "application/octet-stream"})


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method>, /upload/v1/<file>, /response/<token> and /files/<id>/<name>."""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("fake Slack: " + format, *args)

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._route()

    def do_POST(self) -> None:  # noqa: N802
        self._route()

    def _route(self) -> None:
        fake: FakeSlack = self.server.fake  # type: ignore[attr-defined]
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if fake.loopback_only and not is_loopback(
            self.headers.get("Host"), self.headers.get("Origin")
        ):
            reply = Reply(403, b"loopback only", {"Content-Type": "text/plain"})
        elif path.startswith("/api/"):
            reply = fake.handle_api(path.removeprefix("/api/"), self.headers, query, body)
        elif path.startswith("/upload/v1/"):
            reply = fake.handle_upload(path.removeprefix("/upload/v1/"), body)
        elif path.startswith("/response/"):
            reply = fake.handle_response_url(path.removeprefix("/response/"), body)
        elif path.startswith("/files/"):
            reply = fake.handle_file_download(path.split("/")[2], self.headers)
        else:
            reply = Reply(404, b"not found")
        if reply.drop:
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)
