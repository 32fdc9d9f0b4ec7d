"""The page and its JSON API as a WSGI app, mounted at "/" and "/play/" beside the bot's routes."""

from __future__ import annotations

import inspect
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from bot.playground import actions
from bot.playground.state import page_state
from bot.slacksim.loopback import is_loopback
from bot.slacksim.payloads import NotShown

if TYPE_CHECKING:
    from bot.playground.wiring import Playground

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
ASSETS = {"play.css": "text/css", "play.js": "text/javascript"}
IMAGES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}
MAX_BODY = 256 * 1024
# Defence in depth: even if some text slipped through unescaped, no inline script could run.
SECURITY_HEADERS = [
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: http: https:; script-src 'self'; "
        "style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]
Handler = Callable[..., Any]
POSTS: dict[str, Handler] = {
    "send": actions.send,
    "click": actions.click,
    "select": actions.select,
    "suggest": actions.suggest,
    "submit": actions.submit,
    "close": actions.close,
    "home": actions.open_home,
    "user": actions.switch_user,
    "advance": actions.advance,
}
FILE_ID = re.compile(r"^/play/files/(F[A-Z0-9]+)$")


def page_app(play: Playground) -> Callable[[dict, Callable], Iterable[bytes]]:
    """GET / (the page), /play/static/*, /play/files/*, /play/api/state; POST /play/api/*."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not is_loopback(environ.get("HTTP_HOST"), environ.get("HTTP_ORIGIN")):
            return _reply(start_response, "403 Forbidden", b"loopback only", "text/plain")
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        try:
            if method == "GET":
                return _get(play, path, environ, start_response)
            if method == "POST" and path.startswith("/play/api/"):
                return _post(play, path.removeprefix("/play/api/"), environ, start_response)
        except (actions.Refused, NotShown, PermissionError, KeyError) as exc:
            message = str(exc.args[0]) if exc.args else type(exc).__name__
            return _json(start_response, {"error": message}, "400 Bad Request")
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("playground error %s on %s %s", error_id, method, path)
            body = {"error": f"Something went wrong in the playground (error {error_id})."}
            return _json(start_response, body, "500 Internal Server Error")
        return _reply(start_response, "404 Not Found", b"not found", "text/plain")

    return application


def _get(play: Playground, path: str, environ: dict, start_response: Callable) -> Iterable[bytes]:
    if path == "/":
        body = (STATIC / "index.html").read_bytes()
        return _reply(start_response, "200 OK", body, "text/html; charset=utf-8")
    if path.startswith("/play/static/") and path.rsplit("/", 1)[1] in ASSETS:
        name = path.rsplit("/", 1)[1]
        return _reply(start_response, "200 OK", (STATIC / name).read_bytes(), ASSETS[name])
    if path == "/play/api/state":
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        gen = query.pop("gen", None)
        if gen is not None and gen == f"{play.ws.generation}.{play.generation}":
            return _json(start_response, {"gen": gen, "same": True})
        keys = ("view", "tab", "thread", "slug")
        return _json(start_response, page_state(play, **{k: query.get(k, "") for k in keys}))
    match = FILE_ID.match(path)
    if match:
        return _file(play, match[1], start_response)
    return _reply(start_response, "404 Not Found", b"not found", "text/plain")


def _post(play: Playground, name: str, environ: dict, start_response: Callable) -> Iterable[bytes]:
    handler = POSTS.get(name)
    # A JSON body and a custom header make a cross-site form or fetch impossible without CORS.
    if handler is None or environ.get("HTTP_X_PLAYGROUND") != "1":
        return _reply(start_response, "404 Not Found", b"not found", "text/plain")
    if not environ.get("CONTENT_TYPE", "").startswith("application/json"):
        return _json(start_response, {"error": "send JSON"}, "415 Unsupported Media Type")
    length = min(int(environ.get("CONTENT_LENGTH") or 0), MAX_BODY)
    raw = environ["wsgi.input"].read(length) if length else b"{}"
    try:
        args = json.loads(raw or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        args = None
    if not isinstance(args, dict):
        return _json(start_response, {"error": "send a JSON object"}, "400 Bad Request")
    try:
        inspect.signature(handler).bind(play, **args)
    except TypeError as exc:
        return _json(start_response, {"error": f"{name}: {exc}"}, "400 Bad Request")
    result = handler(play, **args)
    return _json(start_response, {"ok": True, **(result if isinstance(result, dict) else {})})


def _file(play: Playground, file_id: str, start_response: Callable) -> Iterable[bytes]:
    """An uploaded file's bytes; only known image types display, the rest download."""
    upload = play.ws.files.get(file_id)
    if upload is None or upload.content is None:
        return _reply(start_response, "404 Not Found", b"no such file", "text/plain")
    kind = IMAGES.get(Path(upload.filename).suffix.lower())
    headers = [] if kind else [("Content-Disposition", "attachment")]
    content_type = kind or "application/octet-stream"
    return _reply(start_response, "200 OK", upload.content, content_type, headers)


def _json(start_response: Callable, data: Any, status: str = "200 OK") -> Iterable[bytes]:
    body = json.dumps(data).encode()
    return _reply(start_response, status, body, "application/json; charset=utf-8")


def _reply(
    start_response: Callable,
    status: str,
    body: bytes,
    content_type: str,
    extra: list[tuple[str, str]] | None = None,
) -> Iterable[bytes]:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(status, headers + SECURITY_HEADERS + (extra or []))
    return [body]
