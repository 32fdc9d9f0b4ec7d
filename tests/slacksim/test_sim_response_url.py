"""response_url posts, sent the way bolt's respond() sends them (slack_sdk WebhookClient)."""

from __future__ import annotations

from slack_sdk.webhook import WebhookClient

from bot.slacksim import FakeSlack, ManualClock
from bot.slacksim.seed import SUPPORT


def test_default_response_is_ephemeral(fake: FakeSlack) -> None:
    url = fake.issue_response_url(channel="support", user="maria")

    response = WebhookClient(url).send(text="Only you can see this")

    assert response.status_code == 200
    assert [e["text"] for e in fake.ephemerals("maria")] == ["Only you can see this"]
    assert fake.messages("support") == []


def test_in_channel_response_posts_a_message(fake: FakeSlack) -> None:
    url = fake.issue_response_url(channel="support", user="maria")

    WebhookClient(url).send(text="Maria started *Refund*", response_type="in_channel")

    assert [m["text"] for m in fake.messages("support")] == ["Maria started *Refund*"]


def test_replace_and_delete_original_message(fake: FakeSlack) -> None:
    ts = fake.client().chat_postMessage(channel=SUPPORT, text="Step 1 of 3")["ts"]
    url = fake.issue_response_url(channel="support", user="maria", source_ts=ts)
    webhook = WebhookClient(url)

    webhook.send(text="Step 2 of 3", replace_original=True)
    assert [(m["ts"], m["text"]) for m in fake.messages("support")] == [(ts, "Step 2 of 3")]

    webhook.send_dict({"delete_original": True})
    assert fake.messages("support") == []


def test_replace_original_after_an_ephemeral_response(fake: FakeSlack) -> None:
    url = fake.issue_response_url(channel="support", user="maria")
    webhook = WebhookClient(url)

    webhook.send(text="Working on it…")
    webhook.send(text="Done", replace_original=True)

    assert [e["text"] for e in fake.ephemerals("maria")] == ["Done"]


def test_five_uses_then_used_url(fake: FakeSlack) -> None:
    webhook = WebhookClient(fake.issue_response_url(channel="support", user="maria"))

    statuses = [webhook.send(text=f"update {i}").status_code for i in range(6)]

    assert statuses == [200] * 5 + [404]
    assert fake.calls_to("response_url")[-1].response["error"] == "used_url"


def test_expires_after_thirty_minutes(slow_fake: FakeSlack, clock: ManualClock) -> None:
    webhook = WebhookClient(slow_fake.issue_response_url(channel="support", user="maria"))
    clock.advance(30 * 60 + 1)

    response = webhook.send(text="late")

    assert response.status_code == 404
    assert slow_fake.calls_to("response_url")[-1].response["error"] == "expired_url"


def test_invalid_blocks_are_refused(fake: FakeSlack) -> None:
    webhook = WebhookClient(fake.issue_response_url(channel="support", user="maria"))
    too_many = [{"type": "divider"}] * 51

    assert webhook.send(text="x", blocks=too_many).status_code == 400
    assert fake.ephemerals("maria") == []
