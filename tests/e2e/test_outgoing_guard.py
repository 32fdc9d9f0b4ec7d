"""Nothing the bot sends may ping @channel, @here, @everyone or a user group.

SOP and feedback text is escaped long before it is sent, so these tests inject a hostile
message directly, as a builder with an escaping bug would make it, and check that the fake Slack
never received it.
"""

# Fixtures are imported by name (tests/e2e/conftest.py belongs to other tests); pytest then
# passes them in as parameters of the same name, which F811 would flag on every test.
# ruff: noqa: F811

from __future__ import annotations

import logging

import pytest
from slack_bolt import Respond
from sqlalchemy import select

from bot.config import Settings
from bot.db import outbox
from bot.db.models import utcnow
from bot.db.outbox import FAILED, SENT, OutboxMessage
from bot.jobs.dispatcher import Dispatcher
from bot.slack.clients import listener_client
from bot.slack.home import listeners as events
from bot.slack.outgoing import Refused
from bot.slack.runs import blocks as run_blocks
from bot.slack.runs.runner import reply
from bot.slacksim import FakeSlack
from bot.slacksim.seed import MARIA, SAM, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.delivery_fixtures import (  # noqa: F401 - fixtures are used by name
    FAST,
    client_for,
    delivery_db,
    fake_slack,
    workspace_of,
)

PRIVATE = "Mrs Jones's refund"  # stands for what a log line must never carry


def section(text: str, block_id: str = "s") -> dict:
    return {"type": "section", "block_id": block_id, "text": {"type": "mrkdwn", "text": text}}


def posted_texts(fake: FakeSlack) -> str:
    return repr([c.args for c in fake.calls if c.method.startswith(("chat.", "views."))])


def test_the_outbox_fails_a_hostile_row_for_good_and_sends_the_rest(
    fake_slack, delivery_db, caplog
):
    workspace_id = workspace_of(delivery_db)
    hostile = {
        "here": {"text": f"<!here> {PRIVATE}"},
        "channel-in-blocks": {"text": "Refunds", "blocks": [section(f"{PRIVATE} <!channel>")]},
        "group": {"text": "Refunds", "blocks": [section(f"<!subteam^S0OPS|@ops> {PRIVATE}")]},
        "too-many-blocks": {
            "text": "Refunds",
            "blocks": [section("x", f"b{i}") for i in range(51)],
        },
    }
    with delivery_db.session() as session:
        for key, message in hostile.items():
            outbox.enqueue(
                session, key=key, workspace_id=workspace_id, user_id=MARIA, now=utcnow(), **message
            )
        outbox.enqueue_update(
            session,
            key="everyone-update",
            workspace_id=workspace_id,
            channel_id=SUPPORT,
            ts="1700000000.000100",
            text=f"<!everyone> {PRIVATE}",
            now=utcnow(),
        )
        outbox.enqueue(
            session,
            key="mention",
            workspace_id=workspace_id,
            channel_id=SUPPORT,
            text=f"<@{MARIA}> needs a hand with a refund",
            now=utcnow(),
        )
    # A plain WebClient: the dispatcher checks rows itself, whatever client it is given.
    dispatcher = Dispatcher(
        database=delivery_db, client=client_for(fake_slack), clock=utcnow, limits=FAST
    )
    with caplog.at_level(logging.INFO):
        assert dispatcher.run_once() == 6
        assert dispatcher.run_once() == 0  # nothing left to retry

    with delivery_db.session() as session:
        rows = {r.key: r for r in session.scalars(select(OutboxMessage))}
    assert rows["mention"].state == SENT
    for key in (*hostile, "everyone-update"):
        assert rows[key].state == FAILED, key
        assert rows[key].last_error.startswith("refused by sopbot: "), rows[key].last_error
    assert "ping @channel, @here" in rows["here"].last_error
    assert "51 blocks (max 50)" in rows["too-many-blocks"].last_error
    assert [c.args["text"] for c in fake_slack.calls_to("chat.postMessage")] == [
        f"<@{MARIA}> needs a hand with a refund"
    ]
    assert fake_slack.calls_to("chat.update") == []
    assert fake_slack.calls_to("conversations.open") == []  # refused before any call
    refused = [r.getMessage() for r in caplog.records if "refused by sopbot" in r.getMessage()]
    assert len(refused) == 5 and all("\n" not in line for line in refused)
    assert PRIVATE not in caplog.text and "<!" not in caplog.text


def test_the_bots_web_client_refuses_broadcast_pings_and_sends_mentions(
    fake: FakeSlack, db, caplog
):
    settings = Settings(slack_bot_token=fake.token, slack_api_url=fake.api_url)
    client = listener_client(settings)  # the listeners' and jobs' client
    home = {"type": "home", "blocks": [section(f"<!channel> {PRIVATE}")]}
    calls = [
        lambda: client.chat_postMessage(channel=SUPPORT, text=f"<!here> {PRIVATE}"),
        lambda: client.chat_postMessage(
            channel=SUPPORT, text="Refunds", blocks=[section(f"<!everyone> {PRIVATE}")]
        ),
        lambda: client.chat_update(channel=SUPPORT, ts="1.2", text=f"<!subteam^S1> {PRIVATE}"),
        lambda: client.chat_postEphemeral(channel=SUPPORT, user=MARIA, text=f"<!here> {PRIVATE}"),
        lambda: client.chat_postMessage(channel=SUPPORT, text="@here hi", link_names=True),
        lambda: client.views_publish(user_id=MARIA, view=home),
    ]
    with caplog.at_level(logging.WARNING):
        for call in calls:
            with pytest.raises(Refused) as refused:
                call()
            assert refused.value.response["error"] == "sopbot_refused"
    assert [c for c in fake.calls if c.method != "auth.test"] == []
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.slack.outgoing"]
    assert len(lines) == len(calls) and PRIVATE not in caplog.text

    client.chat_postMessage(channel=SUPPORT, text=f"<@{MARIA}> started a refund in <#{SUPPORT}>")
    assert fake.messages(SUPPORT)[-1]["text"].startswith(f"<@{MARIA}> started")


def test_a_reply_through_the_response_url_is_checked_too(fake: FakeSlack):
    respond = Respond(response_url=fake.issue_response_url(channel=SUPPORT, user=MARIA))
    with pytest.raises(Refused):
        reply(respond, {"text": "Done", "blocks": [section(f"{PRIVATE} <!here>")]})
    assert fake.calls_to("response_url") == []
    reply(respond, {"text": f"Started by <@{MARIA}>"})
    assert [c.args["text"] for c in fake.calls_to("response_url")] == [f"Started by <@{MARIA}>"]


def test_a_run_whose_parent_would_ping_the_channel_is_never_posted(bot: Bot, monkeypatch, caplog):
    real = run_blocks.run_parent

    def leaky_parent(**kwargs):  # as if a title had escaped escaping
        message = real(**kwargs)
        return {**message, "blocks": [section(f"<!channel> {PRIVATE}"), *message["blocks"][1:]]}

    monkeypatch.setattr(run_blocks, "run_parent", leaky_parent)
    with caplog.at_level(logging.WARNING):
        assert bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 200
        notice = bot.fake.wait_for(
            lambda: bot.fake.calls_to("response_url"), what="the error notice"
        )[-1]
    assert "Something went wrong on our side" in notice.args["text"]
    assert bot.fake.calls_to("chat.postMessage") == [] and bot.fake.messages(SUPPORT) == []
    assert "refused to send chat.postMessage: it would ping" in caplog.text
    assert PRIVATE not in caplog.text and "<!channel>" not in posted_texts(bot.fake)


def test_a_home_tab_that_would_ping_is_never_published(bot: Bot, monkeypatch, caplog):
    real = events.home_view

    def leaky_home(**kwargs):
        view = real(**kwargs)
        return {**view, "blocks": [section(f"<!here> {PRIVATE}", "leak"), *view["blocks"]]}

    monkeypatch.setattr(events, "home_view", leaky_home)
    with caplog.at_level(logging.WARNING):
        bot.slack.app_home_opened(SAM)
        bot.fake.wait_for(
            lambda: "refused to send views.publish" in caplog.text, what="the refusal logged"
        )
    assert bot.fake.calls_to("views.publish") == []
    assert PRIVATE not in caplog.text
