"""Socket Mode: requests come over Slack's authenticated websocket, unsigned, straight to bolt."""

from __future__ import annotations

from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slacksim.seed import MARIA, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.conversation import visible_text
from tests.e2e.raw_http import Recorder


def slash_command(bot: Bot, text: str, response_url: str) -> SocketModeRequest:
    """`/sop text` as Socket Mode delivers it: the form as a dict, no signature headers."""
    ws, user_id = bot.fake.ws, bot.fake.ws.user_id(MARIA)
    payload = {
        "command": "/sop",
        "text": text,
        "user_id": user_id,
        "channel_id": SUPPORT,
        "team_id": ws.team_id,
        "api_app_id": ws.app_id,
        "trigger_id": bot.fake.issue_trigger(user_id),
        "response_url": response_url,
    }
    return SocketModeRequest(type="slash_commands", envelope_id="env-1", payload=payload)


def test_an_unsigned_socket_mode_command_is_served_and_answered(bot: Bot):
    user_id = bot.fake.ws.user_id(MARIA)
    response_url = bot.fake.issue_response_url(channel=SUPPORT, user=user_id)
    assert run_bolt_app(bot.app, slash_command(bot, "list", response_url)).status == 200
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(MARIA), what="the list")[-1]
    assert "Handle a refund request" in visible_text(answer)


def test_socket_mode_answers_no_response_url_off_slacks_hosts(bot: Bot):
    with Recorder() as recorder:
        assert run_bolt_app(bot.app, slash_command(bot, "list", recorder.url)).status == 200
        bot.workers.shutdown(wait=True)
        assert recorder.requests == []
