"""A recording's messages (within Slack's limits, text inert) and which events may be steps."""

from __future__ import annotations

import json

import pytest
from slack_sdk.models.blocks import Block

from bot.core.parse import parse_sop
from bot.core.recording import RecordedStep, render_sop
from bot.services.recording import Finished
from bot.slack.ids import Action
from bot.slack.kit.limits import check_message
from bot.slack.recording import blocks, candidate
from tests.e2e.conversation import buttons

EVIL = "<!channel> <@U999EVIL> & *b*"


def valid(message: dict) -> str:
    check_message(message)
    for block in message["blocks"]:
        Block.parse(block).validate_json()
    return json.dumps(message, ensure_ascii=False)


def finished(steps: list[RecordedStep], title: str = "Open the shop") -> Finished:
    text = render_sop(title=title, slug="open-the-shop", owner="U01MARIA01", steps=steps)
    sop, errors = parse_sop(text, path="open-the-shop.md", default_slug="open-the-shop")
    assert errors == [] and sop is not None
    return Finished(7, "U01MARIA01", "open-the-shop", text, sop)


def test_the_parent_carries_the_recording_and_escapes_the_title():
    message = blocks.started(title=EVIL, recording_id=42)
    sent = valid(message)
    assert "<!channel>" not in sent and "<@U999EVIL>" not in sent
    assert buttons(message) == {
        Action.RECORD_UNDO: "42",
        Action.RECORD_FINISH: "42",
        Action.RECORD_DISCARD: "42",
    }


def test_step_answers_say_how_long_since_the_step_before():
    assert blocks.step_recorded(number=1, seconds=360)["text"] == (
        "Step 1 recorded (6 min after you started)"
    )
    assert blocks.step_recorded(number=4, seconds=45)["text"] == (
        "Step 4 recorded (45 s after step 3)"
    )


def test_thirty_steps_fit_one_message_with_how_many_more_and_the_buttons_last():
    steps = [
        RecordedStep(f"Step {EVIL} {n}\nRole: Opener\n&gt; Say hi\n- [ ] Box", 60)
        for n in range(30)
    ]
    message = blocks.finished(finished(steps, title=EVIL))
    sent = valid(message)  # 50 blocks at most, within the characters Slack takes
    assert "<!channel>" not in sent and "<@U999EVIL>" not in sent
    assert "Step 1 of 30 · " in sent and "Role: *Opener* · Time: 1 min" in sent
    assert "💬 *Say:*" in sent and "☑️ *Checklist*" in sent
    shown = [b for b in message["blocks"] if b["block_id"].endswith("-title")][1:]
    more = message["blocks"][-2]
    assert more["block_id"] == "record-done-more"
    assert more["elements"][0]["text"] == (
        f"…and {30 - len(shown)} more steps; Download Markdown to see all 30."
    )
    assert 10 < len(shown) < 30 and len(message["blocks"]) > 45  # as many as fit, whole
    assert buttons(message) == {Action.RECORD_PUBLISH: "7", Action.RECORD_DOWNLOAD: "7"}


@pytest.mark.parametrize("chars", [100, 2900])
def test_long_steps_are_cut_by_characters_not_only_blocks(chars):
    steps = [RecordedStep(f"Step {n}\n" + "word " * (chars // 5), 60) for n in range(30)]
    message = blocks.finished(finished(steps))
    valid(message)
    titles = [b for b in message["blocks"] if b["block_id"].endswith("-title")][1:]
    more = message["blocks"][-2]["elements"][0]["text"]
    assert more.startswith(f"…and {30 - len(titles)} more step")


def test_a_step_too_long_for_the_message_leaves_only_the_note():
    message = blocks.finished(finished([RecordedStep("Huge\n" + "word " * 3000, 60)]))
    valid(message)
    assert message["blocks"][-2]["elements"][0]["text"] == (
        "…and 1 more step; Download Markdown to see all 1."
    )


def test_a_short_recording_is_shown_whole_and_published_drops_publish():
    done = finished([RecordedStep("Unlock the door", 60), RecordedStep("Sweep", 30)])
    message = blocks.finished(done)
    assert "record-done-more" not in valid(message)
    assert "Step 2 of 2 · Sweep" in valid(message)
    after = blocks.finished(done, published="✅ Published as v1 by <@U01SAM0001>")
    assert "Published as v1" in valid(after)
    assert buttons(after) == {Action.RECORD_DOWNLOAD: "7"}


def test_the_parent_once_finished_keeps_only_discard_and_once_published_none():
    done = finished([RecordedStep("Unlock the door", 60)], title=EVIL)
    parent = blocks.finished_parent(done)
    assert "finished by <@U01MARIA01>" in valid(parent) and "<!channel>" not in valid(parent)
    assert buttons(parent) == {Action.RECORD_DISCARD: "7"}
    gone = blocks.published_parent(
        title=EVIL, slug="open-the-shop", number=1, publisher="U01SAM0001"
    )
    assert "Published as v1 of" in valid(gone) and "<!channel>" not in valid(gone)
    assert buttons(gone) == {}


MESSAGE = {
    "type": "message",
    "channel": "C1",
    "channel_type": "channel",
    "user": "U1",
    "ts": "2.0",
    "thread_ts": "1.0",
    "text": "Unlock",
}


@pytest.mark.parametrize(
    ("change", "heard"),
    [
        ({}, True),
        ({"subtype": "thread_broadcast"}, True),  # also sent to the channel
        ({"subtype": "file_share"}, True),
        ({"subtype": "message_changed"}, False),  # edits and deletions are not steps
        ({"subtype": "message_deleted"}, False),
        ({"subtype": "bot_message"}, False),
        ({"bot_id": "B1"}, False),
        ({"thread_ts": None}, False),  # top level
        ({"thread_ts": "2.0"}, False),  # the thread's parent itself
        ({"channel_type": "mpim"}, False),  # no event subscription for group DMs
        ({"user": None}, False),
    ],
)
def test_only_a_persons_new_thread_reply_may_be_a_step(change, heard):
    event = {k: v for k, v in {**MESSAGE, **change}.items() if v is not None}
    assert (candidate(event) is not None) is heard
