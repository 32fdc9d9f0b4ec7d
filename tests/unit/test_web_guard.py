"""The signature guard on its own, as a WSGI app: what it refuses, and what it hands on."""

from __future__ import annotations

import io
import logging
from urllib.parse import urlencode

import pytest

from bot.web_guard import MAX_AGE_SECONDS, MAX_BODY, signed_only
from tests.e2e.raw_http import sign

SECRET = "shh-its-a-secret"
NOW = 1_900_000_000


class Unreadable(io.RawIOBase):
    """A request body that must not be read."""

    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the body was read")


def call(body: bytes | None, headers: dict[str, str], **environ: object) -> tuple[str, dict]:
    """Run one request through the guard; the status, and the environ the app got (if any)."""
    seen: dict = {}

    def app(env: dict, start_response) -> list[bytes]:
        seen.update(env, received=env["wsgi.input"].read())
        start_response("200 OK", [])
        return [b""]

    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body or b"")),
        "wsgi.input": io.BytesIO(body or b""),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
        **environ,
    }
    statuses: list[str] = []
    guarded = signed_only(app, signing_secret=SECRET, clock=lambda: NOW)
    guarded(env, lambda status, headers: statuses.append(status))
    return statuses[0], seen


BODY = urlencode({"command": "/sop", "text": "refund"}).encode()


def test_a_signed_body_is_handed_on_whole():
    status, seen = call(BODY, sign(BODY, SECRET, NOW))
    assert (status, seen["received"], seen["CONTENT_LENGTH"]) == ("200 OK", BODY, str(len(BODY)))


@pytest.mark.parametrize("age", [MAX_AGE_SECONDS, -MAX_AGE_SECONDS])
def test_five_minutes_either_way_is_still_fresh(age: int):
    assert call(BODY, sign(BODY, SECRET, NOW - age))[0] == "200 OK"


@pytest.mark.parametrize("age", [MAX_AGE_SECONDS + 1, -MAX_AGE_SECONDS - 1])
def test_a_second_more_is_refused(age: int):
    assert call(BODY, sign(BODY, SECRET, NOW - age))[0] == "401 Unauthorized"


def test_an_oversized_content_length_is_refused_without_reading_the_body(caplog):
    caplog.set_level(logging.INFO)
    headers = sign(BODY, SECRET, NOW)
    status, seen = call(
        None, headers, CONTENT_LENGTH=str(MAX_BODY + 1), **{"wsgi.input": Unreadable()}
    )
    assert (status, seen) == ("413 Payload Too Large", {})
    [line] = [r.getMessage() for r in caplog.records]
    assert (
        line
        == f"refused a request to /slack/events: body of {MAX_BODY + 1} bytes is over {MAX_BODY}"
    )


def test_an_unsigned_request_is_refused_without_reading_the_body():
    status, seen = call(None, {}, CONTENT_LENGTH="10", **{"wsgi.input": Unreadable()})
    assert (status, seen) == ("401 Unauthorized", {})


@pytest.mark.parametrize("length", ["ten", "-1", "1e3", "\u0661"])
def test_a_content_length_that_is_not_a_number_is_400(length: str):
    assert call(BODY, sign(BODY, SECRET, NOW), CONTENT_LENGTH=length)[0] == "400 Bad Request"


def test_a_body_shorter_than_its_content_length_is_400():
    headers = sign(BODY, SECRET, NOW)
    assert call(BODY, headers, CONTENT_LENGTH=str(len(BODY) + 5))[0] == "400 Bad Request"


def test_an_empty_signed_body_is_400():
    assert call(b"", sign(b"", SECRET, NOW))[0] == "400 Bad Request"


def test_a_signature_in_capitals_is_not_slacks_and_is_refused():
    headers = sign(BODY, SECRET, NOW)
    headers["X-Slack-Signature"] = "v0=" + headers["X-Slack-Signature"][3:].upper()
    assert call(BODY, headers)[0] == "401 Unauthorized"


def test_no_signing_secret_serves_nothing():
    with pytest.raises(ValueError, match="signing secret"):
        signed_only(lambda env, start: [], signing_secret="")
