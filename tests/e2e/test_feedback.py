"""Giving feedback: the form, the one-liner with Undo, the run's button, anonymity, abuse."""

from __future__ import annotations

import json
import logging

from sqlalchemy import text

from bot.db.schema import Base
from bot.slack.ids import Action
from bot.slacksim.seed import MARIA, PRIYA, SAM, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, deliver, sent_json, visible_text
from tests.e2e.feedback_helpers import (
    MANAGERS,
    choose_sop,
    everything_sent,
    one_line,
    open_form,
    step_block,
    step_options,
    stored,
    with_managers,
)

HOSTILE = "<!channel> <@U01SAMLEAD> <https://evil.example|click> &amp; *bold* `x`"


def test_form_follows_the_chosen_sop_and_shows_errors_under_the_fields(bot: Bot):
    form = open_form(bot, MARIA)
    assert step_block(form) is None  # Maria has no runs: nothing to preselect
    offered = bot.slack.suggest(MARIA, form, Action.FEEDBACK_SOP, "refund")
    assert offered[0]["value"] == "refund-request"

    form = choose_sop(bot, MARIA, form, "refund-request", "refund")
    assert step_options(form) == [str(n) for n in range(1, 8)]
    empty = bot.slack.submit_view(MARIA, form, {"fb-sop": "refund-request", "fb-text": "   \n "})
    assert empty.outcome == "errors"
    errors = bot.fake.view_errors(form["id"])
    assert "Pick the step" in errors[step_block(form)["block_id"]]
    assert "spaces alone" in errors["fb-text"]

    # Another SOP: its own steps; what was typed and chosen elsewhere stays.
    bot.slack.submit_view(MARIA, form, {"fb-kind": "question"})
    form = choose_sop(bot, MARIA, form, "customer-inquiry", "customer")
    assert step_options(form) == [str(n) for n in range(1, 10)]
    kind = next(b for b in form["blocks"] if b["block_id"] == "fb-kind")
    assert kind["element"]["initial_option"]["value"] == "question"

    values = {"fb-sop": "customer-inquiry", Action.FEEDBACK_STEP: "2", "fb-text": "x" * 3001}
    assert bot.slack.submit_view(MARIA, form, values).outcome == "errors"
    assert "3,001 characters" in bot.fake.view_errors(form["id"])["fb-text"]
    assert stored(bot) == []

    values["fb-text"] = "Which priority is a refund question?"
    sent = bot.slack.submit_view(MARIA, form, values)
    assert sent.outcome == "updated"
    assert "Thanks!" in visible_text(bot.fake.open_view(MARIA))
    [item] = stored(bot)
    assert (item.step_number, item.kind, item.author_id, item.status) == (
        2,
        "question",
        MARIA,
        "open",
    )


def test_one_line_feedback_is_confirmed_with_undo_for_ten_minutes(bot: Bot):
    answer = one_line(bot, MARIA, "refund 3 the approval link is dead")
    said = visible_text(answer)
    assert "Handle a refund request" in said and "Decide who approves" in said
    assert "the approval link is dead" in said and "Problem" in said
    [item] = stored(bot)
    assert (item.step_number, item.author_id) == (3, MARIA)

    bot.clock.advance(minutes=9)
    assert bot.slack.click(MARIA, answer, Action.FEEDBACK_UNDO).status == 200
    bot.fake.wait_for(lambda: stored(bot)[0].status == "withdrawn", what="withdrawn")
    assert stored(bot)[0].text == ""
    deliver(bot)  # the unsent routed messages were cancelled, not sent
    assert bot.fake.dms(SAM) == []

    late = one_line(bot, MARIA, "refund 5 question: can we refund to a new card?")
    assert stored(bot)[-1].kind == "question"
    bot.clock.advance(minutes=10, seconds=1)
    bot.slack.click(MARIA, late, Action.FEEDBACK_UNDO)
    refusal = bot.fake.wait_for(
        lambda: "time is up" in visible_text(bot.fake.ephemerals(MARIA)[-1]), what="a refusal"
    )
    assert refusal and stored(bot)[-1].status == "open"


def test_undo_after_delivery_updates_the_owners_message_in_place(bot: Bot):
    with_managers(bot)
    answer = one_line(bot, MARIA, "refund 3 the approval link is dead")
    deliver(bot)
    assert "the approval link is dead" in visible_text(bot.fake.dms(SAM)[-1])
    bot.slack.click(MARIA, answer, Action.FEEDBACK_UNDO)
    bot.fake.wait_for(lambda: stored(bot)[0].status == "withdrawn", what="withdrawn")
    deliver(bot)
    for message in (bot.fake.dms(SAM)[-1], bot.fake.messages(MANAGERS)[-1]):
        assert "Withdrawn by its author" in visible_text(message)
        assert "approval link" not in sent_json(message) and not buttons(message)


def test_an_unclear_one_liner_opens_the_form_prefilled_instead_of_guessing(bot: Bot):
    form = open_form(bot, MARIA, "refund 9 the link is dead")
    note = visible_text({"blocks": form["blocks"][:1]})
    assert "has 7 steps" in note
    sop = next(b for b in form["blocks"] if b["block_id"] == "fb-sop")
    assert sop["element"]["initial_option"]["value"] == "refund-request"
    assert "initial_option" not in step_block(form)["element"]
    text_input = next(b for b in form["blocks"] if b["block_id"] == "fb-text")
    assert text_input["element"]["initial_value"] == "the link is dead"

    form = open_form(bot, MARIA, "support 2 too slow")
    assert "could be" in visible_text({"blocks": form["blocks"][:1]})
    sop = next(b for b in form["blocks"] if b["block_id"] == "fb-sop")
    assert "initial_option" not in sop["element"] and step_block(form) is None
    assert stored(bot) == []


def test_feedback_on_this_step_opens_the_form_on_the_runs_revision_and_step(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent = bot.fake.wait_for(lambda: bot.fake.messages(SUPPORT), what="a run")[-1]
    step = bot.fake.wait_for(
        lambda: next(
            (
                m
                for m in bot.fake.thread(SUPPORT, parent["ts"])
                if Action.STEP_FEEDBACK in buttons(m)
            ),
            None,
        ),
        what="a step with its feedback button",
    )
    assert buttons(step)[Action.STEP_FEEDBACK].endswith(":1")
    bot.slack.click(MARIA, step, Action.STEP_FEEDBACK)
    form = bot.fake.wait_for(lambda: bot.fake.open_view(MARIA), what="the form")
    assert step_block(form)["element"]["initial_option"]["value"] == "1"
    assert json.loads(form["private_metadata"]) == {"slug": "refund-request", "rev": 1}

    values = {
        "fb-sop": "refund-request",
        "fb-text": "Greeting script is too long",
        "fb-kind": "suggestion",
    }
    assert bot.slack.submit_view(MARIA, form, values).outcome == "updated"
    assert stored(bot)[0].step_number == 1

    # `/feedback` alone preselects the SOP of Maria's latest run.
    again = open_form(bot, MARIA)
    sop = next(b for b in again["blocks"] if b["block_id"] == "fb-sop")
    assert sop["element"]["initial_option"]["value"] == "refund-request"


def test_anonymous_feedback_names_its_author_nowhere(bot: Bot, caplog):
    with_managers(bot)
    caplog.set_level(logging.DEBUG)
    # Bolt copies the root level into its loggers when the app is built; -v would set DEBUG.
    for name in ("slack_bolt.App", "slack_bolt.RequestVerification"):
        caplog.set_level(logging.DEBUG, logger=name)
    form = choose_sop(bot, PRIYA, open_form(bot, PRIYA), "refund-request", "refund")
    values = {
        "fb-sop": "refund-request",
        Action.FEEDBACK_STEP: "4",
        "fb-text": "Team leads take days to approve",
        "fb-anon": ["anonymous"],
    }
    assert bot.slack.submit_view(PRIYA, form, values).outcome == "updated"
    assert "sent anonymously" in visible_text(bot.fake.open_view(PRIYA))
    bot.slack.timestamp_offset = -600  # the same request arriving late: refused and logged
    assert bot.slack.replay().status == 401
    bot.slack.timestamp_offset = 0
    deliver(bot)
    routed = bot.fake.dms(SAM)[-1]
    assert "stay anonymous" in visible_text(routed) and PRIYA not in sent_json(routed)
    bot.slack.click(SAM, routed, Action.FEEDBACK_ACKNOWLEDGE)
    bot.fake.wait_for(lambda: stored(bot)[0].status == "acknowledged", what="acknowledged")
    deliver(bot)
    assert bot.fake.dms(PRIYA) == []

    [item] = stored(bot)
    assert item.anonymous and item.author_id is None
    with bot.runtime.database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                assert PRIYA not in json.dumps(list(row), default=str), table.name
    logged = [r.getMessage() for r in caplog.records]
    assert any("refused a request" in line for line in logged)
    assert not [line for line in logged if PRIYA in line]


def test_hostile_text_is_shown_escaped_everywhere_and_pings_nobody(bot: Bot):
    with_managers(bot)
    answer = one_line(bot, MARIA, f"refund 2 {HOSTILE}")
    assert "&lt;!channel&gt;" in sent_json(answer)
    deliver(bot)
    bot.slack.click(SAM, bot.fake.dms(SAM)[-1], Action.FEEDBACK_ACKNOWLEDGE)
    bot.fake.wait_for(lambda: stored(bot)[0].status == "acknowledged", what="acknowledged")
    deliver(bot)
    bot.slack.app_home_opened(SAM)
    bot.slack.app_home_opened(MARIA)
    bot.fake.wait_for(lambda: bot.fake.home(SAM) and bot.fake.home(MARIA), what="Home tabs")
    one_line(bot, SAM, "list")
    assert "&lt;!channel&gt;" in sent_json(bot.fake.messages(MANAGERS)[-1])
    shown = everything_sent(bot)
    assert "<!channel>" not in shown and "<https://evil" not in shown
    assert "<@U01SAMLEAD> <https" not in shown


def test_the_twenty_first_feedback_within_an_hour_is_refused_kindly(bot: Bot):
    for n in range(20):
        assert "Thanks!" in visible_text(one_line(bot, MARIA, f"refund {n % 7 + 1} note {n}"))
    refused = one_line(bot, MARIA, "refund 1 one more")
    assert "20 pieces of feedback" in visible_text(refused)
    assert len(stored(bot)) == 20

    form = choose_sop(bot, MARIA, open_form(bot, MARIA), "refund-request", "refund")
    values = {"fb-sop": "refund-request", Action.FEEDBACK_STEP: "1", "fb-text": "and more"}
    assert bot.slack.submit_view(MARIA, form, values).outcome == "errors"
    assert "20 pieces" in bot.fake.view_errors(form["id"])["fb-text"]
    assert "Thanks!" in visible_text(one_line(bot, PRIYA, "refund 1 someone else may"))

    bot.clock.advance(hours=1, seconds=1)
    assert "Thanks!" in visible_text(one_line(bot, MARIA, "refund 1 an hour later"))
