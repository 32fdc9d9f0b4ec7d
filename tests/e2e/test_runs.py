"""A person finds an SOP with /sop and follows it step by step in a thread."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.db.models import Event, Run
from bot.slack.ids import Action
from bot.slacksim.seed import MARIA, PRIYA, SUPPORT
from tests.e2e.conftest import Bot

REFUND_STEPS = 7


def buttons(message: dict) -> dict[str, str]:
    """action_id -> value of every button in a message."""
    return {
        element["action_id"]: element.get("value", "")
        for block in message.get("blocks") or []
        for element in (block.get("elements") or []) + [block.get("accessory") or {}]
        if element.get("type") == "button"
    }


def text_of(message: dict) -> str:
    """All the text a person would read in a message."""
    return json.dumps(message.get("blocks") or [], ensure_ascii=False) + message.get("text", "")


def run_thread(bot: Bot, channel: str = SUPPORT) -> tuple[dict, list[dict]]:
    parent = bot.fake.wait_for(lambda: bot.fake.messages(channel), what="a run parent")[-1]
    return parent, bot.fake.thread(channel, parent["ts"])[1:]


def step_with_buttons(bot: Bot, channel: str, parent_ts: str, count: int) -> dict:
    """Wait until the thread has `count` replies; return the newest one with a Done button."""
    replies = bot.fake.wait_for(
        lambda: (r := bot.fake.thread(channel, parent_ts)[1:]) and len(r) >= count and r,
        what=f"{count} replies",
    )
    return next(r for r in reversed(replies) if Action.STEP_DONE in buttons(r))


def test_sop_refund_walks_maria_through_every_step_to_finish(bot: Bot):
    ack = bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    assert ack.status == 200 and ack.acked_in_time

    parent, replies = run_thread(bot)
    assert "Handle a refund request" in text_of(parent)
    assert f"<@{MARIA}>" in text_of(parent)
    assert "v1" in text_of(parent)
    step = step_with_buttons(bot, SUPPORT, parent["ts"], 1)
    assert "Step 1 of 7" in text_of(step)
    assert Action.STEP_BACK not in buttons(step)

    for number in range(1, REFUND_STEPS + 1):
        step = step_with_buttons(bot, SUPPORT, parent["ts"], number)
        assert f"Step {number} of 7" in text_of(step)
        bot.clock.advance(minutes=2)
        assert bot.slack.click(MARIA, step, Action.STEP_DONE).status == 200
        # The pressed message is updated in place: done, no buttons left.
        done = bot.fake.wait_for(
            lambda ts=step["ts"]: next(
                (
                    m
                    for m in bot.fake.thread(SUPPORT, parent["ts"])
                    if m["ts"] == ts and not buttons(m)
                ),
                None,
            ),
            what=f"step {number} marked done",
        )
        assert "Done by" in text_of(done)

    summary = bot.fake.wait_for(
        lambda: next(
            (m for m in bot.fake.thread(SUPPORT, parent["ts"])[1:] if "Finished" in text_of(m)),
            None,
        ),
        what="the summary",
    )
    assert "14 min" in text_of(summary)
    final_parent = bot.fake.wait_for(
        lambda: (
            "Completed" in text_of(bot.fake.messages(SUPPORT)[-1])
            and bot.fake.messages(SUPPORT)[-1]
        ),
        what="the parent marked completed",
    )
    assert "14 min" in text_of(final_parent)
    with bot.runtime.database.session() as session:
        run = session.scalars(select(Run)).one()
        assert (run.status, run.user_id) == ("completed", MARIA)
        kinds = session.scalars(select(Event.kind).order_by(Event.id)).all()
    assert kinds.count("step_done") == REFUND_STEPS
    assert kinds[0] == "lookup" and kinds[1] == "run_started" and kinds[-1] == "run_completed"


def test_pressing_done_twice_advances_once(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    step = step_with_buttons(bot, SUPPORT, parent["ts"], 1)
    bot.slack.click(MARIA, step, Action.STEP_DONE)
    assert bot.slack.replay().status == 200  # Slack retrying the same click
    step_with_buttons(bot, SUPPORT, parent["ts"], 2)
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Run)).one().current_step == 2
        assert len(session.scalars(select(Event).where(Event.kind == "step_done")).all()) == 1
    texts = [text_of(m) for m in bot.fake.thread(SUPPORT, parent["ts"])[1:]]
    assert sum("Step 2 of 7" in t for t in texts) == 1


def test_someone_else_pressing_a_runs_button_is_refused_and_nothing_changes(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    step = step_with_buttons(bot, SUPPORT, parent["ts"], 1)
    assert bot.slack.click(PRIYA, step, Action.STEP_DONE).status == 200
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="a refusal")[-1]
    assert f"belongs to <@{MARIA}>" in text_of(refusal)
    assert "/sop refund-request" in text_of(refusal)
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Run)).one().current_step == 1
    assert len(bot.fake.thread(SUPPORT, parent["ts"])) == 2


def test_back_reposts_the_previous_step_and_stop_abandons(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    bot.slack.click(MARIA, step_with_buttons(bot, SUPPORT, parent["ts"], 1), Action.STEP_DONE)
    second = step_with_buttons(bot, SUPPORT, parent["ts"], 2)
    assert Action.STEP_BACK in buttons(second)
    bot.slack.click(MARIA, second, Action.STEP_BACK)
    again = step_with_buttons(bot, SUPPORT, parent["ts"], 3)
    assert "Step 1 of 7" in text_of(again)
    bot.slack.click(MARIA, again, Action.STOP_RUN)
    bot.fake.wait_for(
        lambda: "Stopped at step 1" in text_of(bot.fake.messages(SUPPORT)[-1]),
        what="the parent marked stopped",
    )
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Run)).one().status == "abandoned"
