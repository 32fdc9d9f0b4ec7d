"""views.* against the fake: trigger rules, stacks, hashes, Home tabs."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.slacksim import FakeSlack, ManualClock
from bot.slacksim.seed import MARIA


def modal(title: str = "Feedback", **extra) -> dict:
    return {
        "type": "modal",
        "callback_id": "feedback",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "why",
                "label": {"type": "plain_text", "text": "What was unclear?"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
        **extra,
    }


HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}


def error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def test_open_returns_the_view_shape(slow_fake: FakeSlack) -> None:
    client = slow_fake.client()
    trigger = slow_fake.issue_trigger("maria")

    view = client.views_open(trigger_id=trigger, view=modal(private_metadata="run:7"))["view"]

    assert view["id"].startswith("V") and view["type"] == "modal"
    assert view["callback_id"] == "feedback" and view["private_metadata"] == "run:7"
    assert view["state"] == {"values": {}} and view["hash"]
    assert view["root_view_id"] == view["id"] and view["previous_view_id"] is None
    assert slow_fake.open_view("maria")["id"] == view["id"]


def test_trigger_is_good_for_three_seconds(slow_fake: FakeSlack, clock: ManualClock) -> None:
    client = slow_fake.client()
    trigger = slow_fake.issue_trigger("maria")
    clock.advance(3.5)

    assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal())).response[
        "error"
    ] == ("expired_trigger_id")


def test_trigger_works_once(slow_fake: FakeSlack, clock: ManualClock) -> None:
    client = slow_fake.client()
    trigger = slow_fake.issue_trigger("maria")
    clock.advance(2.9)
    client.views_open(trigger_id=trigger, view=modal())

    exc = error_of(lambda: client.views_open(trigger_id=trigger, view=modal()))
    assert exc.response["error"] == "exchanged_trigger_id"


def test_unknown_trigger(fake: FakeSlack) -> None:
    exc = error_of(lambda: fake.client().views_open(trigger_id="123.456.abc", view=modal()))
    assert exc.response["error"] == "invalid_trigger_id"


def test_invalid_view_is_invalid_arguments_and_keeps_the_trigger(slow_fake: FakeSlack) -> None:
    client = slow_fake.client()
    trigger = slow_fake.issue_trigger("maria")

    exc = error_of(lambda: client.views_open(trigger_id=trigger, view=modal(title="t" * 25)))

    assert exc.response["error"] == "invalid_arguments"
    assert exc.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_push_stacks_up_to_three(slow_fake: FakeSlack) -> None:
    client = slow_fake.client()
    root = client.views_open(trigger_id=slow_fake.issue_trigger("maria"), view=modal())["view"]
    second = client.views_push(trigger_id=slow_fake.issue_trigger("maria"), view=modal("Two"))
    third = client.views_push(trigger_id=slow_fake.issue_trigger("maria"), view=modal("Three"))

    assert second["view"]["root_view_id"] == root["id"]
    assert third["view"]["previous_view_id"] == second["view"]["id"]
    exc = error_of(
        lambda: client.views_push(trigger_id=slow_fake.issue_trigger("maria"), view=modal("Four"))
    )
    assert exc.response["error"] == "push_limit_reached"
    assert slow_fake.open_view("maria")["title"]["text"] == "Three"


def test_update_by_id_and_hash(slow_fake: FakeSlack) -> None:
    client = slow_fake.client()
    opened = client.views_open(trigger_id=slow_fake.issue_trigger("maria"), view=modal())["view"]

    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Thanks"))
    assert updated["view"]["id"] == opened["id"]
    assert updated["view"]["hash"] != opened["hash"]

    stale = error_of(
        lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())
    )
    assert stale.response["error"] == "hash_conflict"
    missing = error_of(lambda: client.views_update(view_id="V0NOPE0000", view=modal()))
    assert missing.response["error"] == "not_found"


def test_update_by_external_id(slow_fake: FakeSlack) -> None:
    client = slow_fake.client()
    client.views_open(
        trigger_id=slow_fake.issue_trigger("maria"), view=modal(external_id="run-7-feedback")
    )
    client.views_update(
        external_id="run-7-feedback", view=modal("Again", external_id="run-7-feedback")
    )
    assert slow_fake.open_view("maria")["title"]["text"] == "Again"


def test_publish_home(fake: FakeSlack) -> None:
    client = fake.client()

    first = client.views_publish(user_id=MARIA, view=HOME)["view"]
    second = client.views_publish(user_id=MARIA, view=HOME, hash=first["hash"])["view"]

    assert first["type"] == "home" and second["id"] == first["id"]
    assert fake.home("maria")["hash"] == second["hash"]
    stale = error_of(lambda: client.views_publish(user_id=MARIA, view=HOME, hash=first["hash"]))
    assert stale.response["error"] == "hash_conflict"
    modal_as_home = error_of(lambda: client.views_publish(user_id=MARIA, view=modal()))
    assert modal_as_home.response["error"] == "invalid_arguments"


def test_publish_for_unknown_user(fake: FakeSlack) -> None:
    exc = error_of(lambda: fake.client().views_publish(user_id="U0NOBODY00", view=HOME))
    assert exc.response["error"] == "user_not_found"


def test_a_calls_change_and_its_transcript_entry_are_seen_together(fake: FakeSlack, monkeypatch):
    # A test waiting for the Home tab must then find the views.publish call: both are made
    # under the workspace lock, so no reader sees the tab without the call.
    recorded = fake.record
    held: list[bool] = []

    def record(call):
        if call.method == "views.publish":
            held.append(fake.ws.lock._is_owned())
        recorded(call)

    monkeypatch.setattr(fake, "record", record)
    fake.client().views_publish(user_id=MARIA, view=HOME)
    assert held == [True]
    assert fake.home("maria") is not None and fake.calls_to("views.publish")
