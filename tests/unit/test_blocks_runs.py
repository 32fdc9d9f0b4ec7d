"""Run messages: the parent, each step, the closed step and the summary."""

from __future__ import annotations

import json
import re

import pytest
from slack_sdk.models.blocks import Block

from bot.core.model import Sop, Step
from bot.core.parse import parse_sop
from bot.slack.ids import Action
from bot.slack.kit.limits import check_message
from bot.slack.runs import blocks as runs

SOURCE = """---
id: refund-request
tags: [support, billing]
---
# Handle a refund request

## Steps
### 1. Greet the customer
Role: Agent
Reply within **1 business hour**.
> "Hi Alex! I'm on it."
- [ ] Ticket assigned to you

### 2. Issue the refund
Refund in the billing admin & note it.

## Outcome
The customer has their money back.
"""
EVIL = "<!channel> <!here> <@U999EVIL> <!subteam^S1|team> & *x* `y` <https://e.vil|z>"
SOP, _ = parse_sop(SOURCE, path="refund-request.md", default_slug="refund-request")
assert SOP is not None


def valid(message: dict) -> str:
    """Check a message the way Slack would, and return its JSON for substring checks."""
    check_message(message)
    for block in message["blocks"]:
        Block.parse(block).validate_json()
    return json.dumps(message, ensure_ascii=False)


def all_valid(messages: list[dict]) -> str:
    return "\n".join(valid(m) for m in messages)


def sop_with(body: str = "", *, title: str = "Do it", steps: int = 2, **step: object) -> Sop:
    return Sop(
        slug="big",
        title=title,
        steps=tuple(
            Step(number=n, title=f"{title} {n}", body=body, **step)  # type: ignore[arg-type]
            for n in range(1, steps + 1)
        ),
    )


def buttons(message: dict) -> dict[str, dict]:
    found = {}
    for block in message["blocks"]:
        if block["type"] == "actions":
            found.update({e["action_id"]: e for e in block["elements"]})
    return found


STOP_CONFIRM = {
    "title": {"type": "plain_text", "text": "Stop this run?", "emoji": True},
    "text": {
        "type": "mrkdwn",
        "text": "The run ends here and its thread stays as a record. You can start again any "
        "time with `/sop refund-request`.",
        "verbatim": True,
    },
    "confirm": {"type": "plain_text", "text": "Stop", "emoji": True},
    "deny": {"type": "plain_text", "text": "Keep going", "emoji": True},
    "style": "danger",
}


def md(text: str) -> dict:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def btn(label: str, action_id: str, value: str, **extra: object) -> dict:
    text = {"type": "plain_text", "text": label, "emoji": True}
    return {"type": "button", "text": text, "action_id": action_id, "value": value, **extra}


# Golden messages


def test_golden_first_step():
    messages = runs.step_messages(run_id=7, visit_id=42, sop=SOP, step_number=1, revision=3)
    assert messages == [
        {
            "text": "Step 1 of 2: Greet the customer",
            "blocks": [
                {"type": "section", "block_id": "step-1-title",
                 "text": md("*Step 1 of 2 · Greet the customer*")},
                {"type": "context", "block_id": "step-1-role", "elements": [md("Role: *Agent*")]},
                {"type": "section", "block_id": "step-1-body-0",
                 "text": md("Reply within *1 business hour*.")},
                {"type": "section", "block_id": "step-1-say-0",
                 "text": md("💬 *Say:*\n> \"Hi Alex! I'm on it.\"")},
                {"type": "section", "block_id": "step-1-check-0",
                 "text": md("☑️ *Checklist*\n☐ Ticket assigned to you")},
                {"type": "actions", "block_id": "step-1-actions", "elements": [
                    btn("Done, next step", "run.step_done", "42", style="primary"),
                    btn("Stop", "run.stop", "7", style="danger", confirm=STOP_CONFIRM),
                ]},
            ],
        }
    ]  # fmt: skip
    all_valid(messages)


def test_golden_run_parent_active():
    message = runs.run_parent(
        title=SOP.title, revision=3, starter_id="U123ABC", step_count=2,
        outcome_md=SOP.outcome, status="active",
    )  # fmt: skip
    assert message == {
        "text": "Handle a refund request (v3): ▶️ In progress — follow the steps in the thread",
        "blocks": [
            {"type": "header", "block_id": "run-title",
             "text": {"type": "plain_text", "text": "Handle a refund request", "emoji": True}},
            {"type": "section", "block_id": "run-facts", "fields": [
                md("*Revision*\nv3"), md("*Started by*\n<@U123ABC>"), md("*Steps*\n2"),
            ]},
            {"type": "section", "block_id": "run-outcome",
             "text": md("*Outcome*\nThe customer has their money back.")},
            {"type": "context", "block_id": "run-status",
             "elements": [md("▶️ In progress — follow the steps in the thread")]},
        ],
    }  # fmt: skip
    valid(message)


def test_golden_step_done():
    message = runs.step_done(sop=SOP, step_number=2, user_id="U123ABC", seconds=130)
    assert message == {
        "text": "✅ Done · Step 2 of 2: Issue the refund",
        "blocks": [
            {"type": "section", "block_id": "step-2-title",
             "text": md("*Step 2 of 2 · Issue the refund*")},
            {"type": "context", "block_id": "step-2-closed",
             "elements": [md("✅ Done by <@U123ABC> · 2 min")]},
        ],
    }  # fmt: skip
    valid(message)


# Buttons


def test_last_step_says_finish_and_has_back():
    [message] = runs.step_messages(run_id=7, visit_id=43, sop=SOP, step_number=2, revision=3)
    found = buttons(message)
    assert found[Action.STEP_DONE]["text"]["text"] == "Finish"
    assert found[Action.STEP_DONE]["value"] == "43"
    assert found[Action.STEP_BACK]["value"] == "43"
    assert Action.RESTART_ON_NEW not in found and Action.STEP_FEEDBACK not in found
    assert "&amp; note it" in valid(message)


def test_first_step_has_no_back_button():
    [message] = runs.step_messages(run_id=7, visit_id=42, sop=SOP, step_number=1, revision=3)
    assert Action.STEP_BACK not in buttons(message)
    assert buttons(message)[Action.STEP_DONE]["text"]["text"] == "Done, next step"


def test_newer_revision_warns_and_offers_restart():
    [message] = runs.step_messages(
        run_id=7, visit_id=42, sop=SOP, step_number=1, revision=3, newer_revision=5
    )
    restart = buttons(message)[Action.RESTART_ON_NEW]
    assert restart["text"]["text"] == "Restart on v5" and restart["value"] == "7"
    assert "A newer revision (v5) of this SOP was published since you started" in valid(message)


def test_feedback_button_carries_run_and_step():
    [message] = runs.step_messages(
        run_id=7, visit_id=42, sop=SOP, step_number=2, revision=3, feedback_button=True
    )
    assert buttons(message)[Action.STEP_FEEDBACK]["value"] == "7:2"
    assert list(buttons(message))[-1] == Action.STOP_RUN
    valid(message)


# Huge and hostile steps


def test_a_20000_character_body_spreads_over_messages_without_cutting_words():
    words = [f"w{i:05d}" for i in range(3400)]
    paragraphs = [" ".join(words[i : i + 40]) for i in range(0, len(words), 40)]
    body = "\n\n".join(paragraphs)
    assert len(body) > 20_000
    messages = runs.step_messages(
        run_id=1, visit_id=2, sop=sop_with(body), step_number=1, revision=1
    )
    all_valid(messages)
    assert len(messages) >= 2
    assert [bool(buttons(m)) for m in messages] == [False] * (len(messages) - 1) + [True]
    shown = " ".join(
        b["text"]["text"]
        for m in messages
        for b in m["blocks"]
        if b["block_id"].startswith("step-1-body")
    ).split()
    assert shown == words
    # Each section ends at a paragraph boundary.
    for message in messages:
        for block in message["blocks"]:
            if block["block_id"].startswith("step-1-body"):
                assert all(p in paragraphs for p in block["text"]["text"].split("\n\n"))


def test_a_body_without_any_break_is_split_at_words():
    words = [f"word{i}" for i in range(4000)]
    messages = runs.step_messages(
        run_id=1, visit_id=2, sop=sop_with(" ".join(words)), step_number=1, revision=1
    )
    all_valid(messages)
    text = " ".join(b["text"]["text"] for m in messages for b in m["blocks"]
                    if b["type"] == "section" and "body" in b["block_id"])  # fmt: skip
    assert text.split() == words


def test_a_huge_code_block_is_reopened_in_each_section():
    code = "\n".join(f"line {i} " + "x" * 60 for i in range(200))
    messages = runs.step_messages(
        run_id=1, visit_id=2, sop=sop_with(f"```\n{code}\n```"), step_number=1, revision=1
    )
    all_valid(messages)
    bodies = [b["text"]["text"] for m in messages for b in m["blocks"] if "body" in b["block_id"]]
    assert len(bodies) > 1
    for body in bodies:
        assert body.startswith("```\n") and body.endswith("\n```")


def test_an_enormous_step_is_cut_with_a_note_instead_of_flooding_the_thread():
    messages = runs.step_messages(
        run_id=1, visit_id=2, sop=sop_with("word " * 100_000), step_number=1, revision=1
    )
    dump = all_valid(messages)
    assert len(messages) <= 8
    assert "too long to show in Slack" in dump
    assert buttons(messages[-1])


def test_long_titles_and_roles_are_truncated():
    sop = sop_with("body", title="T" * 500, role="R" * 500)
    messages = runs.step_messages(run_id=1, visit_id=2, sop=sop, step_number=2, revision=1)
    all_valid(messages)
    parent = runs.run_parent(title="T" * 500, revision=1, starter_id="U1", step_count=2,
                             outcome_md="", status="active")  # fmt: skip
    valid(parent)
    assert parent["blocks"][0]["text"]["text"].endswith("…")
    assert len(parent["blocks"][0]["text"]["text"]) == 150


def test_nothing_from_the_sop_can_ping():
    sop = Sop(
        slug="evil",
        title=EVIL,
        steps=(
            Step(1, EVIL, body=f"{EVIL}\n\n> {EVIL}\n\n- [ ] {EVIL}", role=EVIL),
            Step(2, EVIL, body=EVIL, scripts=(EVIL,), checklist=(EVIL,)),
        ),
        outcome=EVIL,
    )
    out = [
        *runs.step_messages(run_id=1, visit_id=2, sop=sop, step_number=1, revision=1,
                            newer_revision=2, feedback_button=True),
        *runs.step_messages(run_id=1, visit_id=3, sop=sop, step_number=2, revision=1),
        runs.run_parent(title=EVIL, revision=1, starter_id="U1", step_count=2,
                        outcome_md=EVIL, status="completed", minutes=3),
        runs.step_done(sop=sop, step_number=2, user_id="U1", seconds=5),
        runs.step_closed(sop=sop, step_number=1, note=EVIL),
        runs.run_summary(title=EVIL, revision=1, step_count=2, minutes=1, outcome_md=EVIL),
    ]  # fmt: skip
    dump = all_valid(out)
    for ping in ("<!channel>", "<!here>", "<@U999EVIL>", "<!subteam", "<https://e.vil"):
        assert ping not in dump
    assert re.findall(r"<@(\w+)>", dump) == ["U1", "U1"]


def test_scripts_and_checklist_are_taken_out_of_the_body():
    body = "Intro.\n> Say this\n> and this\n\n- [ ] one\n- [x] two\n- plain item\n\nOutro."
    [message] = runs.step_messages(
        run_id=1, visit_id=2, sop=sop_with(body), step_number=1, revision=1
    )
    texts = {b["block_id"]: b["text"]["text"] for b in message["blocks"] if "text" in b}
    assert texts["step-1-body-0"] == "Intro.\n\n• plain item\n\nOutro."
    assert texts["step-1-say-0"] == "💬 *Say:*\n> Say this\n> and this"
    assert texts["step-1-check-0"] == "☑️ *Checklist*\n☐ one\n☐ two"


def test_quotes_inside_code_are_not_scripts():
    body = "```\n> not a script\n- [ ] not a box\n```"
    [message] = runs.step_messages(
        run_id=1, visit_id=2, sop=sop_with(body), step_number=1, revision=1
    )
    ids = [b["block_id"] for b in message["blocks"]]
    assert "step-1-say-0" not in ids and "step-1-check-0" not in ids
    assert "&gt; not a script" in message["blocks"][1]["text"]["text"]


# Parent, closed steps, summary


@pytest.mark.parametrize(
    ("status", "extra", "line"),
    [
        ("completed", {"minutes": 12.2}, "✅ Completed in 12 min"),
        ("completed", {"minutes": 75}, "✅ Completed in 1 h 15 min"),
        ("abandoned", {"stopped_at": 3}, "⏹ Stopped at step 3"),
    ],
)
def test_parent_status_lines(status: str, extra: dict, line: str):
    message = runs.run_parent(title="T", revision=1, starter_id="U1", step_count=8,
                              outcome_md="", status=status, **extra)  # fmt: skip
    assert message["blocks"][-1]["elements"][0]["text"] == line
    assert [b["block_id"] for b in message["blocks"]] == ["run-title", "run-facts", "run-status"]
    valid(message)


def test_parent_refuses_bad_status_and_non_user_mentions():
    with pytest.raises(ValueError):
        runs.run_parent(title="T", revision=1, starter_id="U1", step_count=1, outcome_md="",
                        status="paused")  # type: ignore[arg-type]  # fmt: skip
    with pytest.raises(ValueError):
        runs.run_parent(title="T", revision=1, starter_id="!channel", step_count=1,
                        outcome_md="", status="active")  # fmt: skip


def test_a_long_outcome_is_cut_at_a_paragraph():
    outcome = "\n\n".join(f"Paragraph {i} " + "word " * 100 for i in range(20))
    message = runs.run_parent(title="T", revision=1, starter_id="U1", step_count=1,
                              outcome_md=outcome, status="active")  # fmt: skip
    text = message["blocks"][2]["text"]["text"]
    assert text.startswith("*Outcome*\nParagraph 0") and text.endswith("\n…")
    assert len(text) <= 1500
    valid(message)


def test_step_closed_notes():
    message = runs.step_closed(sop=SOP, step_number=1, note=runs.NOTE_STOPPED)
    assert message["blocks"][1]["elements"][0]["text"] == "⏹ Run stopped"
    assert message["text"] == "⏹ Run stopped · Step 1 of 2: Greet the customer"
    assert not buttons(message)
    valid(message)


def test_run_summary():
    message = runs.run_summary(title="Refunds", revision=2, step_count=8, minutes=12,
                               outcome_md="Money **back**.")  # fmt: skip
    assert message["blocks"][0]["text"]["text"] == "🎉 Finished *Refunds* (v2): 8 steps in 12 min"
    assert message["blocks"][1]["text"]["text"] == "*Outcome*\nMoney *back*."
    valid(message)


def test_step_numbers_outside_the_sop_are_refused():
    for number in (0, 3):
        with pytest.raises(ValueError):
            runs.step_messages(run_id=1, visit_id=2, sop=SOP, step_number=number, revision=1)
