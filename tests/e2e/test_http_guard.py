"""Requests that are unsigned, stale, oversized or malformed never reach the bot's logic."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest

from bot.slacksim.seed import MARIA, SUPPORT
from tests.e2e.conftest import SIGNING_SECRET, Bot
from tests.e2e.raw_http import Recorder, exchange, get, half_sent, sign

MARKER = "PRIVATE-BODY-TEXT-4711"
MIB = 1024 * 1024
FORM = "application/x-www-form-urlencoded"


def command_body(bot: Bot, response_url: str) -> bytes:
    """A /sop command whose response_url points at `response_url`."""
    user_id = bot.fake.ws.user_id(MARIA)
    form = {
        "command": "/sop",
        "text": f"refund {MARKER}",
        "user_id": user_id,
        "channel_id": SUPPORT,
        "team_id": bot.fake.ws.team_id,
        "api_app_id": bot.fake.ws.app_id,
        "trigger_id": "1.2.3",
        "response_url": response_url,
    }
    return urlencode(form).encode()


def submission_body(bot: Bot, response_url: str) -> bytes:
    """A modal submission naming `response_url` in response_urls (as input-enabled modals do)."""
    payload = {
        "type": "view_submission",
        "team": {"id": bot.fake.ws.team_id},
        "user": {"id": bot.fake.ws.user_id(MARIA)},
        "api_app_id": bot.fake.ws.app_id,
        "view": {"id": "V1", "type": "modal", "callback_id": "nope", "state": {"values": {}}},
        "response_urls": [{"response_url": response_url}],
        "note": MARKER,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def unverified_headers(body: bytes) -> dict[str, dict[str, str]]:
    """Each way a request can fail its signature check."""
    good = sign(body, SIGNING_SECRET)
    # Well past the five minutes either way: one second over would race the clock's tick.
    stale = sign(body, SIGNING_SECRET, int(time.time()) - 330)
    future = sign(body, SIGNING_SECRET, int(time.time()) + 330)
    return {
        "timestamp is not a number": {**good, "X-Slack-Request-Timestamp": "soon"},
        "timestamp is a float": {**good, "X-Slack-Request-Timestamp": f"{time.time()}"},
        "timestamp missing": {"X-Slack-Signature": good["X-Slack-Signature"]},
        "signature missing": {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]},
        "signature wrong": {**good, "X-Slack-Signature": "v0=" + "0" * 64},
        "signature garbage": {**good, "X-Slack-Signature": "v0=\u00e9\u00e9"},
        "older than five minutes": stale,
        "from the future": future,
    }


def assert_quiet(caplog: pytest.LogCaptureFixture, warnings: int = 1) -> None:
    """No error or traceback, `warnings` WARNING lines, and nothing of the body in any line."""
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert all(r.exc_info is None for r in caplog.records)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == warnings
    assert not [r for r in caplog.records if MARKER in r.getMessage()]


@pytest.mark.parametrize("build", [command_body, submission_body], ids=["command", "modal"])
def test_an_unverified_body_is_refused_and_its_response_url_never_called(
    bot: Bot, caplog: pytest.LogCaptureFixture, build
):
    caplog.set_level(logging.INFO)
    with Recorder() as recorder:
        body = build(bot, recorder.url)
        for why, headers in unverified_headers(body).items():
            response = bot.slack.send_raw(body, {"Content-Type": FORM, **headers})
            assert response.status == 401, why
        # Every after-ack and listener thread done: anything queued would have been sent.
        bot.workers.shutdown(wait=True)
        assert recorder.requests == []
    assert_quiet(caplog, warnings=len(unverified_headers(body)))


def test_a_signed_body_whose_response_url_is_not_slack_gets_no_post(bot: Bot):
    with Recorder() as recorder:
        body = command_body(bot, recorder.url)
        response = bot.slack.send_raw(body, {"Content-Type": FORM, **sign(body, SIGNING_SECRET)})
        assert response.status == 200
        bot.workers.shutdown(wait=True)
        assert recorder.requests == []


MALFORMED = {
    "invalid JSON": ("application/json", b'{"type": "event_callback", ' + MARKER.encode()),
    "a JSON array": ("application/json", b'["' + MARKER.encode() + b'"]'),
    "a JSON string": ("application/json", b'"' + MARKER.encode() + b'"'),
    "bad UTF-8": (FORM, b"command=%2Fsop&text=" + MARKER.encode() + b"\xff\xfe"),
    "bad payload JSON": (FORM, b"payload=%7B" + MARKER.encode()),
    "payload a JSON array": (FORM, b"payload=%5B%22" + MARKER.encode() + b"%22%5D"),
}


@pytest.mark.parametrize("why", MALFORMED)
def test_a_malformed_body_is_400_when_signed_and_401_when_not(
    bot: Bot, caplog: pytest.LogCaptureFixture, why: str
):
    caplog.set_level(logging.INFO)
    content_type, body = MALFORMED[why]
    signed = bot.slack.send_raw(body, {"Content-Type": content_type, **sign(body, SIGNING_SECRET)})
    unsigned = bot.slack.send_raw(body, {"Content-Type": content_type})
    assert (signed.status, unsigned.status) == (400, 401)
    assert MARKER not in signed.text + unsigned.text
    assert_quiet(caplog, warnings=2)


def test_a_body_over_one_mebibyte_is_413_signed_or_not(bot: Bot, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.INFO)
    body = urlencode({"command": "/sop", "text": "x" * MIB}).encode()
    # Only the headers go out: the refusal must come from Content-Length alone, before a byte of
    # the body is read (sending it too would race the server's close into a connection reset).
    answers = []
    for headers in (sign(body, SIGNING_SECRET), {}):
        lines = [f"Content-Type: {FORM}", f"Content-Length: {len(body)}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        head = "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "\r\n".join(lines)
        answers.append(exchange(bot.server.url, (head + "\r\n\r\n").encode())[0])
    assert answers == [413, 413]
    assert bot.fake.ephemerals(MARIA) == []


def test_a_chunked_body_over_the_limit_is_413(bot: Bot):
    chunk = b"x" * 65536
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(MIB // len(chunk)))
    # One byte over, and nothing after it: the server has read all it was sent when it answers
    # and closes (unread bytes would make the close a reset that loses the answer).
    request = (
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
        + chunks
        + b"1\r\nx"
    )
    status, _ = exchange(bot.server.url, request)
    assert status == 413


def test_a_signed_body_just_under_the_limit_is_served(bot: Bot):
    text = "x" * (MIB - 1000)
    body = command_body(bot, bot.fake.issue_response_url(channel=SUPPORT, user=MARIA))
    body = body.replace(b"refund+" + MARKER.encode(), text.encode())
    assert len(body) < MIB
    response = bot.slack.send_raw(body, {"Content-Type": FORM, **sign(body, SIGNING_SECRET)})
    # Verified and parsed, so it reaches bolt, whose size rule answers it in the ack itself.
    assert response.status == 200
    assert "too long for sopbot" in response.text


def test_half_sent_requests_do_not_lock_out_healthz(bot: Bot):
    with half_sent(bot.server.url, 150):
        assert get(f"{bot.server.url}/healthz", timeout=3) == (200, b"ok")


def test_bolt_gets_the_body_the_guard_parsed_and_does_not_parse_it_again(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
):
    def parse_again(*_: object) -> dict:
        raise AssertionError("bolt parsed the body a second time")

    # Where BoltRequest parses an HTTP body; the guard's own parse (bot/web_guard.py) is apart.
    monkeypatch.setattr("slack_bolt.request.request.parse_body", parse_again)
    response = bot.slack.command(MARIA, "/sop", "list", channel=SUPPORT)
    assert response.status == 200
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(MARIA), what="an answer")[-1]
    assert "Handle a refund request" in json.dumps(answer)
