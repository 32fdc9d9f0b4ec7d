"""A person finds an SOP with /sop and follows it step by step in a thread."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Event, Run
from bot.slack.ids import Action
from bot.slacksim.seed import MARIA, PRIYA, SAM, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, run_thread, sent_json, step_with_buttons, visible_text

REFUND_STEPS = 7


def test_sop_refund_walks_maria_through_every_step_to_finish(bot: Bot):
    ack = bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    assert ack.status == 200 and ack.acked_in_time

    parent, replies = run_thread(bot)
    assert "Handle a refund request" in visible_text(parent)
    assert f"<@{MARIA}>" in sent_json(parent)
    assert "v1" in visible_text(parent)
    step = step_with_buttons(bot, SUPPORT, parent["ts"], 1)
    assert "Step 1 of 7" in visible_text(step)
    assert Action.STEP_BACK not in buttons(step)

    for number in range(1, REFUND_STEPS + 1):
        # Step 4 is the Team lead's (the sample's cast: Sam), who takes it from the thread.
        count = number + 1 if number >= 4 else number
        if number == 4:
            waiting = bot.fake.wait_for(
                lambda: next(
                    (
                        m
                        for m in bot.fake.thread(SUPPORT, parent["ts"])
                        if Action.TAKE_STEP in buttons(m)
                    ),
                    None,
                ),
                what="step 4 waiting for a Team lead",
            )
            assert bot.slack.click(SAM, waiting, Action.TAKE_STEP).status == 200
        step = step_with_buttons(bot, SUPPORT, parent["ts"], count)
        assert f"Step {number} of 7" in visible_text(step)
        bot.clock.advance(minutes=2)
        doer = SAM if number == 4 else MARIA
        assert bot.slack.click(doer, step, Action.STEP_DONE).status == 200
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
        assert "Done by" in visible_text(done)

    summary = bot.fake.wait_for(
        lambda: next(
            (
                m
                for m in bot.fake.thread(SUPPORT, parent["ts"])[1:]
                if "Finished" in visible_text(m)
            ),
            None,
        ),
        what="the summary",
    )
    assert "14 min" in visible_text(summary)
    final_parent = bot.fake.wait_for(
        lambda: (
            "Completed" in visible_text(bot.fake.messages(SUPPORT)[-1])
            and bot.fake.messages(SUPPORT)[-1]
        ),
        what="the parent marked completed",
    )
    assert "14 min" in visible_text(final_parent)
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
    texts = [visible_text(m) for m in bot.fake.thread(SUPPORT, parent["ts"])[1:]]
    assert sum("Step 2 of 7" in t for t in texts) == 1


def test_someone_else_pressing_a_runs_button_is_refused_and_nothing_changes(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    step = step_with_buttons(bot, SUPPORT, parent["ts"], 1)
    assert bot.slack.click(PRIYA, step, Action.STEP_DONE).status == 200
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="a refusal")[-1]
    assert f"belongs to <@{MARIA}>" in sent_json(refusal)
    assert "/sop refund-request" in visible_text(refusal)
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
    assert "Step 1 of 7" in visible_text(again)
    bot.slack.click(MARIA, again, Action.STOP_RUN)
    bot.fake.wait_for(
        lambda: "Stopped at step 1" in visible_text(bot.fake.messages(SUPPORT)[-1]),
        what="the parent marked stopped",
    )
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Run)).one().status == "abandoned"
