"""Guests, other organisations and other workspaces, through the fake Slack with signed requests.

Gina is a guest in #contractors; Eve is from Acme, in the Slack Connect channel #acme-shared.
No sample SOP names either of them until a test adds them to an audience.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from bot.db.models import Event, ProcessedEvent, Run
from bot.slack.ids import Action
from bot.slacksim import payloads
from bot.slacksim.seed import ACME_SHARED, CONTRACTORS, EVE, GINA, MARIA, SAM, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, run_thread, sent_json, step_with_buttons
from tests.e2e.feedback_helpers import open_form, rewrite_sop, stored
from tests.e2e.outsider_helpers import (
    TITLES,
    answer,
    forged_press,
    name_in_audience,
    policy,
    shown_to,
    sop_command,
    start_buttons,
    titles_in,
)
from tests.e2e.training_helpers import forged_click

OTHER_WORKSPACE = "T0OTHER001"
MEMBERS_ONLY = "sopbot is for members of SOP Team only."


def runs_of(bot: Bot, user: str) -> list[Run]:
    with bot.runtime.database.session() as session:
        return list(session.scalars(select(Run).where(Run.user_id == user)))


def gina_named_in_customer_inquiry(bot: Bot) -> None:
    name_in_audience(bot, "customer-inquiry.md", "#contractors")


def gina_runs_customer_inquiry(bot: Bot) -> dict:
    """Gina starts the SOP named for her; returns its first step, as she sees it."""
    assert bot.slack.command(GINA, "/sop", "customer inquiry", channel=CONTRACTORS).status == 200
    parent, _ = run_thread(bot, CONTRACTORS)
    assert TITLES["customer-inquiry"] in sent_json(parent)
    return step_with_buttons(bot, CONTRACTORS, parent["ts"], 1)


def marias_refund_run(bot: Bot, channel: str = SUPPORT) -> dict:
    """Maria starts a refund run; returns its first step."""
    bot.slack.command(MARIA, "/sop", "refund", channel=channel)
    parent, _ = run_thread(bot, channel)
    return step_with_buttons(bot, channel, parent["ts"], 1)


def test_a_guest_sees_and_finds_only_the_sops_whose_audience_names_them(bot: Bot):
    gina_named_in_customer_inquiry(bot)

    assert titles_in(sent_json(sop_command(bot, GINA, "list", CONTRACTORS))) == {"customer-inquiry"}
    shown = sop_command(bot, GINA, "help", CONTRACTORS)
    assert start_buttons(shown) == ["customer-inquiry"]
    assert titles_in(sent_json(shown)) == {"customer-inquiry"}

    miss = sop_command(bot, GINA, "onboarding", CONTRACTORS)
    assert "No SOP you can open matches “onboarding”" in sent_json(miss)
    assert titles_in(sent_json(miss)) == set() and "new-hire" not in sent_json(miss)

    bot.slack.app_home_opened(GINA)
    home = bot.fake.wait_for(lambda: bot.fake.home(GINA), what="Gina's Home")
    assert titles_in(sent_json(home)) == {"customer-inquiry"}

    gina_runs_customer_inquiry(bot)
    assert titles_in(sent_json(sop_command(bot, MARIA, "list", SUPPORT))) == set(TITLES)


def test_a_guest_cannot_start_or_press_on_another_sop_with_a_forged_value(bot: Bot):
    gina_named_in_customer_inquiry(bot)
    shown = sop_command(bot, GINA, "help", CONTRACTORS)
    seen = shown_to(bot, GINA)
    forged_press(bot, GINA, shown, Action.START_SOP, "refund-request", shown="customer-inquiry")
    refusal = answer(bot, GINA, seen)
    assert "No SOP you can open matches" in sent_json(refusal)
    assert "refund" not in sent_json(refusal).lower()
    assert runs_of(bot, GINA) == []

    maria_step = marias_refund_run(bot)
    own_step = gina_runs_customer_inquiry(bot)
    seen = shown_to(bot, GINA)
    maria_visit = buttons(maria_step)[Action.STEP_DONE]
    forged_press(bot, GINA, own_step, Action.STEP_DONE, maria_visit)
    refusal = answer(bot, GINA, seen)
    assert "No SOP you can open matches" in sent_json(refusal)
    assert MARIA not in sent_json(refusal) and "refund" not in sent_json(refusal).lower()
    [marias] = runs_of(bot, MARIA)
    assert (marias.status, marias.current_step) == ("active", 1)

    # Taken out of the audience mid-run: her next press is refused too.
    rewrite_sop(bot, "customer-inquiry.md", '"#contractors", ', "")
    seen = shown_to(bot, GINA)
    bot.slack.click(GINA, own_step, Action.STEP_DONE)
    assert "No SOP you can open matches" in sent_json(answer(bot, GINA, seen))
    [hers] = runs_of(bot, GINA)
    assert hers.current_step == 1


def test_a_guest_gives_feedback_only_on_the_sops_named_for_them(bot: Bot):
    gina_named_in_customer_inquiry(bot)
    form = open_form(bot, GINA, channel=CONTRACTORS)
    assert [o["value"] for o in bot.slack.suggest(GINA, form, Action.FEEDBACK_SOP)] == [
        "customer-inquiry"
    ]
    assert "refund-request" not in json.dumps(
        bot.slack.suggest(GINA, form, Action.FEEDBACK_SOP, "refund")
    )

    # A forged choice of another SOP shows none of its steps.
    found = payloads.locate(form["blocks"], Action.FEEDBACK_SOP, types=payloads.INTERACTIVE)
    chosen = {"text": {"type": "plain_text", "text": "x"}, "value": "refund-request"}
    act = payloads.action(found, action_ts=bot.fake.ws.next_ts(), selected=chosen)
    forged = bot.slack._block_actions(GINA, form["id"], act, None)
    assert bot.slack._interaction(forged).status == 200
    noted = bot.fake.wait_for(
        lambda: "No SOP you can open" in sent_json(v := bot.fake.open_view(GINA)) and v,
        what="the form without an SOP",
    )
    assert "fb-step-refund" not in json.dumps(noted) and "Verify the order" not in sent_json(noted)

    # The one-liner on an SOP she may not see records nothing and names nothing.
    bot.slack.command(GINA, "/feedback", "onboarding 2 the form is broken", channel=CONTRACTORS)
    again = bot.fake.wait_for(
        lambda: (v := bot.fake.open_view(GINA)) and v["id"] != noted["id"] and v, what="a form"
    )
    assert "No SOP you can open matches “onboarding”" in sent_json(again)

    # "Feedback on this step" forged onto Maria's run opens nothing.
    marias_refund_run(bot)
    own_step = gina_runs_customer_inquiry(bot)
    [marias] = runs_of(bot, MARIA)
    seen = shown_to(bot, GINA)
    forged_press(bot, GINA, own_step, Action.STEP_FEEDBACK, f"{marias.id}:1")
    assert "No SOP you can open matches" in sent_json(answer(bot, GINA, seen))
    assert bot.fake.open_view(GINA)["id"] == again["id"]

    # Chosen while she could see it, submitted after she no longer can: refused.
    bot.slack.select(GINA, again, Action.FEEDBACK_SOP, "customer-inquiry")
    chosen_form = bot.fake.wait_for(
        lambda: (
            (v := bot.fake.open_view(GINA)) and "fb-step-customer-inquiry" in json.dumps(v) and v
        ),
        what="the steps of customer-inquiry",
    )
    rewrite_sop(bot, "customer-inquiry.md", '"#contractors", ', "")
    values = {"fb-sop": "customer-inquiry", Action.FEEDBACK_STEP: "1", "fb-text": "Too slow"}
    assert bot.slack.submit_view(GINA, chosen_form, values).outcome == "errors"
    assert "No SOP you can open" in json.dumps(bot.fake.view_errors(chosen_form["id"]))
    assert stored(bot) == []


def test_deny_answers_an_outsider_everything_with_one_line(bot: Bot):
    policy(bot, "deny")
    gina_named_in_customer_inquiry(bot)  # named or not: deny refuses
    for text in ("", "list", "customer inquiry", "training"):
        refusal = sop_command(bot, GINA, text, CONTRACTORS)
        assert MEMBERS_ONLY in sent_json(refusal) and titles_in(sent_json(refusal)) == set()

    seen = shown_to(bot, GINA)
    assert bot.slack.command(GINA, "/feedback", "", channel=CONTRACTORS).status == 200
    assert MEMBERS_ONLY in sent_json(answer(bot, GINA, seen)) and bot.fake.open_view(GINA) is None

    bot.slack.app_home_opened(GINA)
    home = bot.fake.wait_for(lambda: bot.fake.home(GINA), what="Gina's Home")
    assert MEMBERS_ONLY in sent_json(home) and titles_in(sent_json(home)) == set()

    step = marias_refund_run(bot)
    seen = shown_to(bot, GINA)
    forged_click(bot, GINA, step["ts"], Action.STEP_DONE)
    refusal = sent_json(answer(bot, GINA, seen))
    assert MEMBERS_ONLY in refusal and "refund" not in refusal.lower()
    [marias] = runs_of(bot, MARIA)
    assert marias.current_step == 1
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Event).where(Event.user_id == GINA)).all() == []
    assert runs_of(bot, GINA) == []
    assert titles_in(sent_json(sop_command(bot, MARIA, "list", SUPPORT))) == set(TITLES)


def test_allow_treats_an_outsider_as_staff(bot: Bot):
    policy(bot, "allow")
    assert titles_in(sent_json(sop_command(bot, GINA, "list", CONTRACTORS))) == set(TITLES)
    bot.slack.command(GINA, "/sop", "refund", channel=CONTRACTORS)
    parent, _ = run_thread(bot, CONTRACTORS)
    assert TITLES["refund-request"] in sent_json(parent)
    with bot.runtime.database.session() as session:
        assert [run.sop.slug for run in session.scalars(select(Run))] == ["refund-request"]


def test_someone_from_another_organisation_in_a_shared_channel_reaches_the_policy(bot: Bot):
    name_in_audience(bot, "outsourced-work.md", EVE)
    step = marias_refund_run(bot, channel=ACME_SHARED)
    seen = shown_to(bot, EVE)
    # Eve's payload carries her own organisation (user.team_id); the workspace check lets it
    # through, and the policy answers: she may not open the refund SOP.
    assert bot.slack.click(EVE, step, Action.STEP_FEEDBACK).status == 200
    refusal = answer(bot, EVE, seen)
    assert "No SOP you can open matches" in sent_json(refusal)
    assert bot.fake.open_view(EVE) is None

    # A command says nothing of her organisation: users.info does.
    listing = sop_command(bot, EVE, "list", ACME_SHARED)
    assert titles_in(sent_json(listing)) == {"outsourced-work"}

    # Her Home (an event whose top-level team_id is Acme's) has the SOP named for her.
    bot.slack.app_home_opened(EVE)
    home = bot.fake.wait_for(lambda: bot.fake.home(EVE), what="Eve's Home")
    assert titles_in(sent_json(home)) == {"outsourced-work"}
    bot.slack.click(EVE, home, Action.START_SOP, value="outsourced-work")
    parent = bot.fake.wait_for(lambda: bot.fake.dms(EVE), what="Eve's run")[0]
    assert TITLES["outsourced-work"] in sent_json(parent)


def test_a_request_installed_in_another_workspace_is_refused_with_nothing_done(bot: Bot, caplog):
    caplog.set_level(logging.WARNING, logger="bot.slack.guard.gates")
    shown = sop_command(bot, MARIA, "help", SUPPORT)
    form = open_form(bot, MARIA)
    bot.fake.clear_calls()
    with bot.slack.from_workspace(OTHER_WORKSPACE):
        ack = bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
        assert ack.status == 200 and ack.body["text"] == "This sopbot serves another workspace."
        assert bot.slack.suggest(MARIA, form, Action.FEEDBACK_SOP) == []
        click = bot.slack.click(MARIA, shown, Action.START_SOP, value="refund-request")
        assert (click.status, click.text) == (200, "")
        values = {"fb-sop": "refund-request", "fb-text": "from elsewhere"}
        assert bot.slack.submit_view(MARIA, form, values).status == 200
    refused = [r for r in caplog.records if r.name == "bot.slack.guard.gates"]
    assert len(refused) == 4 and all(r.levelno == logging.WARNING for r in refused)
    for line in (r.getMessage() for r in refused):
        assert OTHER_WORKSPACE in line and MARIA not in line and "refund" not in line

    # Something the bot does answer, to be sure nothing of the above was still under way.
    assert titles_in(sent_json(sop_command(bot, MARIA, "list", SUPPORT))) == set(TITLES)
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Run)).all() == []
        assert session.scalars(select(Event)).all() == []
    assert bot.fake.messages(SUPPORT) == [] and stored(bot) == []
    acted = [c.method for c in bot.fake.calls if c.method.startswith(("chat.", "views."))]
    assert acted == []


def test_an_event_from_another_workspace_is_ignored(bot: Bot):
    with bot.slack.from_workspace(OTHER_WORKSPACE):
        assert bot.slack.app_home_opened(MARIA).status == 200
    # Not even claimed as seen: refused before anything else looked at it.
    with bot.runtime.database.session() as session:
        assert session.scalars(select(ProcessedEvent)).all() == []
    assert bot.slack.app_home_opened(SAM).status == 200
    bot.fake.wait_for(lambda: bot.fake.home(SAM), what="Sam's Home tab")
    assert bot.fake.home(MARIA) is None
    assert [c.args["user_id"] for c in bot.fake.calls_to("views.publish")] == [SAM]
