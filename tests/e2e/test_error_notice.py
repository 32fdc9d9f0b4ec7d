"""The error notice goes to the response_url after the answer to Slack, never holding it up."""

from __future__ import annotations

import socket
import time

import pytest
from slack_sdk.webhook import WebhookClient

from bot.slack.access import Access
from bot.slack.guard import response_urls
from bot.slack.guard.response_urls import Responder
from bot.slacksim.seed import MARIA, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.outsider_helpers import policy

SLOW_SECONDS = 3


def test_a_failing_gate_answers_slack_at_once_and_posts_the_notice_later(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
):
    # Under deny, a gate asks who the person is before the ack; when that fails, bolt calls the
    # error handler on the very thread that owes Slack its answer.
    policy(bot, "deny")

    def broken(self: Access, caller: object) -> None:
        raise RuntimeError("users.info went away")

    monkeypatch.setattr(Access, "viewer", broken)
    real = WebhookClient.send_dict

    def slow_send(self: WebhookClient, body: dict, headers: dict | None = None):
        time.sleep(SLOW_SECONDS)  # a response_url that takes its time
        return real(self, body, headers)

    monkeypatch.setattr(response_urls.WebhookClient, "send_dict", slow_send)
    ack = bot.slack.command(MARIA, "/sop", "list", channel=SUPPORT)
    assert ack.elapsed < 1.5
    notice = bot.fake.wait_for(lambda: bot.fake.calls_to("response_url"), what="the notice")[-1]
    assert "Something went wrong on our side" in notice.args["text"]


def test_a_response_url_that_never_answers_is_given_up_on_after_the_timeout(
    monkeypatch: pytest.MonkeyPatch,
):
    with socket.socket() as stalled:  # accepts connections (the backlog), answers nothing
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(4)
        port = stalled.getsockname()[1]
        monkeypatch.setattr(response_urls, "TIMEOUT_SECONDS", 0.5)
        respond = Responder(
            response_url=f"http://127.0.0.1:{port}/response/T1/R1/x",
            api_url=f"http://127.0.0.1:{port}/api/",
        )
        started = time.monotonic()
        with pytest.raises(OSError):  # socket.timeout / TimeoutError
            respond({"text": "hi"})
        assert time.monotonic() - started < 3
