"""SlackDriver against a real bolt App served over HTTP, with the fake as its Web API."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import pytest
from slack_bolt import App

from bot.slacksim import FakeSlack
from bot.slacksim.driver import SlackDriver, signed_headers
from bot.slacksim.payloads import NotShown
from bot.slacksim.seed import MARIA, SUPPORT

RUN_BUTTONS = [
    {"type": "section", "block_id": "step", "text": {"type": "mrkdwn", "text": "*Step 1*"}},
    {
        "type": "actions",
        "block_id": "run",
        "elements": [
            {
                "type": "button",
                "action_id": "run.step_done",
                "text": {"type": "plain_text", "text": "Done"},
                "value": "7:1",
                "style": "primary",
            },
            {
                "type": "button",
                "action_id": "run.stop",
                "text": {"type": "plain_text", "text": "Stop"},
                "value": "7",
            },
        ],
    },
]
FEEDBACK_MODAL = {
    "type": "modal",
    "callback_id": "feedback",
    "title": {"type": "plain_text", "text": "Feedback"},
    "submit": {"type": "plain_text", "text": "Send"},
    "private_metadata": "run:7",
    "blocks": [
        {
            "type": "input",
            "block_id": "why",
            "label": {"type": "plain_text", "text": "What was unclear?"},
            "element": {"type": "plain_text_input", "action_id": "text", "max_length": 500},
        },
        {
            "type": "input",
            "block_id": "severity",
            "optional": True,
            "label": {"type": "plain_text", "text": "How bad?"},
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "Minor"}, "value": "minor"},
                    {"text": {"type": "plain_text", "text": "Blocking"}, "value": "blocking"},
                ],
            },
        },
    ],
}


def post_run(fake: FakeSlack) -> dict:
    fake.client().chat_postMessage(channel=SUPPORT, text="Step 1", blocks=RUN_BUTTONS)
    return fake.messages("support")[-1]


def test_signed_command_reaches_the_listener_and_the_ack_is_shown(
    app: App, driver: SlackDriver, fake: FakeSlack
) -> None:
    seen: list[dict] = []

    @app.command("/sop")
    def sop(ack, command):
        seen.append(command)
        ack(f"Searching for {command['text']}…")

    response = driver.command("maria", "/sop", "refund", channel="support")

    assert response.status == 200 and response.acked_in_time
    assert response.body == "Searching for refund…"  # bolt acks a string as text/plain
    [command] = seen
    assert command["user_id"] == MARIA and command["channel_id"] == SUPPORT
    assert command["channel_name"] == "support" and command["text"] == "refund"
    assert command["response_url"].startswith(fake.url) and command["trigger_id"]
    assert [e["text"] for e in fake.ephemerals("maria")] == ["Searching for refund…"]


def test_command_ack_in_channel_and_refused_blocks(
    app: App, driver: SlackDriver, fake: FakeSlack
) -> None:
    @app.command("/sop")
    def sop(ack, command):
        if command["text"] == "share":
            ack(response_type="in_channel", text="Maria shared *Refund*")
        else:
            ack(text="too much", blocks=[{"type": "divider"}] * 51)

    driver.command("maria", "/sop", "share", channel="support")
    assert [m["text"] for m in fake.messages("support")] == ["Maria shared *Refund*"]

    refused = driver.command("maria", "/sop", "big", channel="support")
    assert refused.problems == ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]
    assert fake.ephemerals("maria") == []


def test_command_in_the_app_dm_by_default(app: App, driver: SlackDriver) -> None:
    seen = []

    @app.command("/sop")
    def sop(ack, command):
        seen.append(command["channel_name"])
        ack()

    assert driver.command("maria", "/sop").body is None
    assert seen == ["directmessage"]


def test_bad_or_stale_signature_is_refused(
    app: App, driver: SlackDriver, signing_secret: str
) -> None:
    called = []
    app.command("/sop")(lambda ack: (called.append(1), ack()))
    body = urlencode({"command": "/sop", "text": "", "user_id": MARIA, "team_id": "T0SOPBOT1"})

    form = {"Content-Type": "application/x-www-form-urlencoded"}

    wrong = signed_headers(body, "not-the-secret")
    assert driver.send_raw(body, {**wrong, **form}).status == 401

    stale = signed_headers(body, signing_secret, ts=int(time.time()) - 600)
    assert driver.send_raw(body, {**stale, **form}).status == 401

    driver.timestamp_offset = -600
    assert driver.command("maria", "/sop").status == 401
    assert called == []

    fresh = signed_headers(body, signing_secret)
    assert driver.send_raw(body, {**fresh, **form}).status == 200
    assert called == [1]


def test_click_on_a_posted_message_reaches_the_action_listener(
    app: App, driver: SlackDriver, fake: FakeSlack
) -> None:
    bodies: list[dict] = []

    @app.action("run.step_done")
    def done(ack, body, respond):
        ack()
        bodies.append(body)
        respond(text="Step 2", replace_original=True)

    message = post_run(fake)
    assert driver.click("maria", message, "run.step_done").status == 200

    fake.wait_for(lambda: fake.messages("support")[-1]["text"] == "Step 2")
    [body] = bodies
    assert body["type"] == "block_actions"
    assert body["user"]["id"] == MARIA and body["team"]["id"] == "T0SOPBOT1"
    assert body["container"] == {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": SUPPORT,
        "is_ephemeral": False,
    }
    assert body["channel"] == {"id": SUPPORT, "name": "support"}
    assert body["message"]["blocks"] == message["blocks"]
    [action] = body["actions"]
    assert action["action_id"] == "run.step_done" and action["block_id"] == "run"
    assert action["value"] == "7:1" and action["type"] == "button"
    assert action["text"]["text"] == "Done" and action["action_ts"]


def test_only_shown_buttons_can_be_clicked(driver: SlackDriver, fake: FakeSlack) -> None:
    message = post_run(fake)

    with pytest.raises(NotShown, match="run.skip"):
        driver.click("maria", message, "run.skip")
    with pytest.raises(NotShown):
        driver.click("maria", message, "run.step_done", value="7:2")


def test_same_action_id_is_told_apart_by_value(app: App, driver: SlackDriver, fake) -> None:
    values = []

    @app.action("sop.start")
    def start(ack, action):
        ack()
        values.append(action["value"])

    buttons = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "sop.start",
                    "text": {"type": "plain_text", "text": slug},
                    "value": slug,
                }
            ],
        }
        for slug in ("refund", "onboarding")
    ]
    fake.client().chat_postMessage(channel=SUPPORT, text="SOPs", blocks=buttons)
    message = fake.messages("support")[-1]

    with pytest.raises(NotShown, match="2 times"):
        driver.click("maria", message, "sop.start")
    driver.click("maria", message, "sop.start", value="onboarding")
    assert values == ["onboarding"]


def test_click_in_an_ephemeral_message(app: App, driver: SlackDriver, fake: FakeSlack) -> None:
    bodies = []

    @app.action("run.stop")
    def stop(ack, body, respond):
        ack()
        bodies.append(body)
        respond(delete_original=True)

    fake.client().chat_postEphemeral(channel=SUPPORT, user=MARIA, text="Run", blocks=RUN_BUTTONS)
    [shown] = fake.ephemerals("maria")

    driver.click("maria", shown, "run.stop")

    fake.wait_for(lambda: not fake.ephemerals("maria"))
    assert bodies[0]["container"]["is_ephemeral"] is True
    assert "message" not in bodies[0]  # Slack does not send ephemeral sources back


def test_modal_open_submit_and_errors(app: App, driver: SlackDriver, fake: FakeSlack) -> None:
    submitted = []

    @app.command("/sop")
    def sop(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=FEEDBACK_MODAL)

    @app.view("feedback")
    def feedback(ack, view):
        values = view["state"]["values"]
        submitted.append(values)
        if not values["why"]["text"]["value"].strip():
            ack(response_action="errors", errors={"why": "Tell us what was unclear"})
        else:
            ack()

    driver.command("maria", "/sop", "feedback")
    view = fake.wait_for(lambda: fake.open_view("maria"))
    assert view["private_metadata"] == "run:7"

    with pytest.raises(NotShown, match="required"):
        driver.submit_view("maria", view)
    refused = driver.submit_view("maria", view, {"why": "   "})
    assert refused.outcome == "errors"
    assert fake.view_errors(view["id"]) == {"why": "Tell us what was unclear"}

    accepted = driver.submit_view("maria", view, {"text": "Step 3", "pick": "blocking"})
    assert accepted.outcome == "closed"
    assert fake.open_view("maria") is None
    assert submitted[-1]["why"]["text"] == {"type": "plain_text_input", "value": "Step 3"}
    assert submitted[-1]["severity"]["pick"]["selected_option"]["value"] == "blocking"


def test_submission_answer_can_update_the_modal(app: App, driver: SlackDriver, fake) -> None:
    thanks = {
        **FEEDBACK_MODAL,
        "blocks": FEEDBACK_MODAL["blocks"][:1],
        "title": {"type": "plain_text", "text": "Thanks"},
    }

    @app.view("feedback")
    def feedback(ack):
        ack(response_action="update", view=thanks)

    trigger = fake.issue_trigger("maria")
    view = fake.client().views_open(trigger_id=trigger, view=FEEDBACK_MODAL)["view"]

    assert driver.submit_view("maria", view, {"why": "x"}).outcome == "updated"
    assert fake.open_view("maria")["title"]["text"] == "Thanks"


def test_static_select_in_a_message(app: App, driver: SlackDriver, fake: FakeSlack) -> None:
    picked = []

    @app.action("sop.pick")
    def pick(ack, action):
        ack()
        picked.append(action["selected_option"]["value"])

    select = {
        "type": "static_select",
        "action_id": "sop.pick",
        "placeholder": {"type": "plain_text", "text": "Pick an SOP"},
        "options": [
            {"text": {"type": "plain_text", "text": "Refund"}, "value": "refund"},
            {"text": {"type": "plain_text", "text": "Onboarding"}, "value": "onboarding"},
        ],
    }
    fake.client().chat_postMessage(
        channel=SUPPORT, text="pick", blocks=[{"type": "actions", "elements": [select]}]
    )
    message = fake.messages("support")[-1]

    driver.select("maria", message, "sop.pick", "refund")
    assert picked == ["refund"]
    with pytest.raises(NotShown):
        driver.select("maria", message, "sop.pick", "payroll")


def test_external_select_asks_the_bot_for_options(app: App, driver: SlackDriver, fake) -> None:
    @app.options("sop.search")
    def search(ack, payload):
        query = payload["value"]
        slugs = [s for s in ("refund", "returns", "onboarding") if s.startswith(query)]
        ack(options=[{"text": {"type": "plain_text", "text": s}, "value": s} for s in slugs])

    chosen = []

    @app.action("sop.search")
    def choose(ack, action):
        ack()
        chosen.append(action["selected_option"]["value"])

    element = {
        "type": "external_select",
        "action_id": "sop.search",
        "placeholder": {"type": "plain_text", "text": "Search"},
    }
    fake.client().chat_postMessage(
        channel=SUPPORT, text="search", blocks=[{"type": "actions", "elements": [element]}]
    )
    message = fake.messages("support")[-1]

    assert [o["value"] for o in driver.suggest("maria", message, "sop.search", "re")] == [
        "refund",
        "returns",
    ]
    driver.select("maria", message, "sop.search", "returns", query="re")
    assert chosen == ["returns"]


def test_events_with_retry_headers(app: App, driver: SlackDriver, fake: FakeSlack) -> None:
    deliveries = []

    @app.event("app_mention")
    def mention(body, request):
        deliveries.append((body["event_id"], request.headers.get("x-slack-retry-num")))

    first = driver.mention("maria", "support", "which SOP for refunds?")
    again = driver.event(
        {"type": "app_mention", "user": MARIA, "text": "hi", "ts": "1.000001", "channel": SUPPORT},
        retry_num=1,
        event_id=first.event_id,
    )

    assert first.status == again.status == 200
    # bolt runs event listeners after the ack, on its own threads: wait for both, any order.
    fake.wait_for(lambda: len(deliveries) == 2, what="both deliveries")
    assert sorted(deliveries, key=str) == [(first.event_id, None), (first.event_id, ["1"])]


def test_app_home_opened_and_publish(app: App, driver: SlackDriver, fake: FakeSlack) -> None:
    @app.event("app_home_opened")
    def home(event, client):
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Your SOPs"}}]
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": blocks})

    driver.app_home_opened("maria")

    home_view = fake.wait_for(lambda: fake.home("maria"))
    assert home_view["blocks"][0]["text"]["text"] == "Your SOPs"


def test_a_dm_conversation(app: App, driver: SlackDriver, fake: FakeSlack) -> None:
    @app.message("help")
    def helper(message, say):
        say(f"Hi <@{message['user']}>, try /sop")

    driver.user_message("maria", "maria", "help please")

    replies = fake.wait_for(lambda: [m for m in fake.dms("maria") if m.get("bot_id")])
    assert replies[0]["text"] == f"Hi <@{MARIA}>, try /sop"


def test_url_verification(driver: SlackDriver) -> None:
    response = driver.url_verification("abc123")
    assert response.status == 200
    assert response.body == {"challenge": "abc123"}


def test_click_inside_a_modal_carries_the_view_and_typed_values(
    app: App, driver: SlackDriver, fake: FakeSlack
) -> None:
    bodies = []

    @app.action("feedback.more")
    def more(ack, body, client):
        ack()
        bodies.append(body)
        client.views_push(
            trigger_id=body["trigger_id"],
            view={**FEEDBACK_MODAL, "blocks": [FEEDBACK_MODAL["blocks"][0]]},
        )

    more_button = {
        "type": "actions",
        "block_id": "more",
        "elements": [
            {
                "type": "button",
                "action_id": "feedback.more",
                "text": {"type": "plain_text", "text": "More"},
            }
        ],
    }
    spec = {**FEEDBACK_MODAL, "blocks": [*FEEDBACK_MODAL["blocks"], more_button]}
    view = fake.client().views_open(trigger_id=fake.issue_trigger("maria"), view=spec)["view"]

    driver.click("maria", view, "feedback.more", values={"why": "half typed"})

    pushed = fake.wait_for(lambda: fake.open_view("maria")["id"] != view["id"])
    assert pushed
    [body] = bodies
    assert body["container"] == {"type": "view", "view_id": view["id"]}
    assert body["view"]["state"]["values"]["why"]["text"]["value"] == "half typed"
    assert "response_url" not in body and "channel" not in body
    assert fake.open_view("maria")["previous_view_id"] == view["id"]
    with pytest.raises(NotShown):
        driver.click("sam", view, "feedback.more")  # not Sam's modal


def test_closing_a_modal_notifies_only_when_asked(app: App, driver: SlackDriver, fake) -> None:
    closed = []

    @app.view_closed("feedback")
    def on_close(ack, view):
        ack()
        closed.append(view["id"])

    quiet = fake.client().views_open(trigger_id=fake.issue_trigger("maria"), view=FEEDBACK_MODAL)
    assert driver.close_view("maria", quiet["view"]) is None
    assert fake.open_view("maria") is None

    loud_spec = {**FEEDBACK_MODAL, "notify_on_close": True}
    loud = fake.client().views_open(trigger_id=fake.issue_trigger("maria"), view=loud_spec)
    assert driver.close_view("maria", loud["view"]).status == 200
    assert closed == [loud["view"]["id"]]
