"""Handling feedback: routing, who may press the buttons, updates in place, closing the loop."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from bot.db.feedback import FeedbackRoute
from bot.db.outbox import OutboxMessage
from bot.slack.ids import Action
from bot.slacksim.seed import ANA, JO, MARIA, PRIYA, SAM, TOM
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, deliver, sent_json, visible_text
from tests.e2e.feedback_helpers import (
    MANAGERS,
    one_line,
    rewrite_sop,
    stored,
    with_managers,
)

HANDLING = {
    Action.FEEDBACK_ACKNOWLEDGE,
    Action.FEEDBACK_RESOLVE,
    Action.FEEDBACK_WONT_FIX,
    Action.EDIT_STEP,
}


def status_of(bot: Bot, index: int = -1) -> str:
    return stored(bot)[index].status


def test_problems_go_to_the_owner_and_managers_other_kinds_to_the_owner(bot: Bot):
    with_managers(bot)
    one_line(bot, MARIA, "refund 3 the approval link is dead")
    one_line(bot, MARIA, "refund 2 suggestion: link the billing admin here")
    deliver(bot)
    problem, suggestion = bot.fake.dms(SAM)
    assert "Problem on step 3 of Handle a refund request" in problem["text"]
    assert "Decide who approves" in visible_text(problem) and f"<@{MARIA}>" in sent_json(problem)
    assert set(buttons(problem)) == HANDLING
    assert "Suggestion" in suggestion["text"]
    [managers] = bot.fake.messages(MANAGERS)
    assert (
        "the approval link is dead" in visible_text(managers) and set(buttons(managers)) == HANDLING
    )
    with bot.runtime.database.session() as session:
        keys = session.query(FeedbackRoute.key).order_by(FeedbackRoute.id).all()
    assert [k for (k,) in keys] == ["feedback:1:owner", "feedback:1:managers", "feedback:2:owner"]


def test_an_unreachable_owner_routes_to_managers_and_an_email_owner_is_looked_up(bot: Bot):
    with_managers(bot)
    rewrite_sop(bot, "outsourced-work.md", "owner: U01ANA0001", "owner: U01OPSLEAD")  # nobody
    one_line(bot, MARIA, "work 2 suggestion: add a brief template")
    rewrite_sop(bot, "customer-inquiry.md", "owner: U01SAMLEAD", "owner: tom@example.com")
    one_line(bot, MARIA, "customer 2 question: is a refund question P2?")
    deliver(bot)
    [fallback] = bot.fake.messages(MANAGERS)
    assert "could not be reached" in visible_text(fallback) and "brief template" in visible_text(
        fallback
    )
    assert "P2" in visible_text(bot.fake.dms(TOM)[-1])
    assert bot.fake.dms(SAM) == []


def test_only_the_owner_admins_and_managers_may_handle_feedback(bot: Bot):
    boss = bot.fake.ws.add_user(name="boss", email="boss@example.com", is_admin=True).id
    with_managers(bot, admins=frozenset({JO}))
    rewrite_sop(bot, "customer-inquiry.md", "owner: U01SAMLEAD", "owner: tom@example.com")
    for step in range(1, 6):
        one_line(bot, MARIA, f"customer {step} step {step} is confusing")
    deliver(bot)
    posted = bot.fake.messages(MANAGERS)
    assert len(posted) == 5

    bot.slack.click(PRIYA, posted[0], Action.FEEDBACK_ACKNOWLEDGE)
    bot.slack.click(PRIYA, posted[0], Action.FEEDBACK_RESOLVE)
    refusals = bot.fake.wait_for(
        lambda: len(e := bot.fake.ephemerals(PRIYA)) >= 2 and e, what="two refusals"
    )
    assert all("Nothing was changed" in visible_text(r) for r in refusals)
    assert bot.fake.open_view(PRIYA) is None and status_of(bot, 0) == "open"

    allowed = [(TOM, bot.fake.dms(TOM)[0]), (ANA, posted[1]), (JO, posted[2]), (boss, posted[3])]
    for index, (person, message) in enumerate(allowed):
        bot.slack.click(person, message, Action.FEEDBACK_ACKNOWLEDGE)
        bot.fake.wait_for(lambda i=index: status_of(bot, i) == "acknowledged", what="acknowledged")
    assert [item.handled_by for item in stored(bot)[:4]] == [TOM, ANA, JO, boss]
    deliver(bot)
    assert len(bot.fake.dms(MARIA)) == 4  # one "acknowledged" note per item, none for #5


def test_status_changes_update_the_routed_messages_in_place_and_tell_the_author(bot: Bot):
    with_managers(bot)
    one_line(bot, MARIA, "refund 3 the approval link is dead")
    deliver(bot)
    [owner_copy], [managers_copy] = bot.fake.dms(SAM), bot.fake.messages(MANAGERS)
    bot.slack.click(SAM, owner_copy, Action.FEEDBACK_ACKNOWLEDGE)
    bot.fake.wait_for(lambda: status_of(bot) == "acknowledged", what="acknowledged")

    # Ana presses the manager channel's copy before its update arrived: told, shown as it is.
    bot.slack.click(ANA, managers_copy, Action.FEEDBACK_ACKNOWLEDGE)
    late = bot.fake.wait_for(lambda: bot.fake.ephemerals(ANA), what="already done")[-1]
    assert "Already done" in visible_text(late) and f"<@{SAM}>" in sent_json(late)

    deliver(bot)
    for message in (bot.fake.dms(SAM)[0], bot.fake.messages(MANAGERS)[0]):
        assert message["ts"] in (owner_copy["ts"], managers_copy["ts"])
        assert f"Acknowledged by <@{SAM}>" in sent_json(message)
        assert set(buttons(message)) == {
            Action.FEEDBACK_RESOLVE,
            Action.FEEDBACK_WONT_FIX,
            Action.EDIT_STEP,
        }
    assert "was acknowledged by" in visible_text(bot.fake.dms(MARIA)[-1])

    bot.slack.click(SAM, bot.fake.dms(SAM)[0], Action.FEEDBACK_RESOLVE)
    form = bot.fake.wait_for(lambda: bot.fake.open_view(SAM), what="the reason form")
    assert (
        bot.slack.submit_view(SAM, form, {"fb-reason": "Link fixed in the admin"}).outcome
        == "closed"
    )
    bot.fake.wait_for(lambda: status_of(bot) == "resolved", what="resolved")
    deliver(bot)
    for message in (bot.fake.dms(SAM)[0], bot.fake.messages(MANAGERS)[0]):
        assert "Resolved by" in visible_text(message) and "Link fixed" in visible_text(message)
        assert not buttons(message)
    note = bot.fake.dms(MARIA)[-1]
    assert "was resolved by" in visible_text(note) and "Link fixed in the admin" in visible_text(
        note
    )

    one_line(bot, MARIA, "refund 6 praise: the script is great")
    deliver(bot)
    bot.slack.click(SAM, bot.fake.dms(SAM)[-1], Action.FEEDBACK_WONT_FIX)
    form = bot.fake.wait_for(
        lambda: (v := bot.fake.open_view(SAM)) and v["id"] != form["id"] and v, what="form"
    )
    bot.slack.submit_view(SAM, form, {})
    bot.fake.wait_for(lambda: status_of(bot) == "wont_fix", what="won't fix")
    deliver(bot)
    assert "will not be acted on" in visible_text(bot.fake.dms(MARIA)[-1])


def test_a_routed_copy_still_in_the_outbox_goes_out_showing_the_current_state(bot: Bot):
    with_managers(bot)
    one_line(bot, MARIA, "refund 3 the approval link is dead")
    owner_key = "feedback:1:owner"
    later = bot.clock() + timedelta(hours=1)  # Sam's copy waits (as behind a rate limit)
    with bot.runtime.database.session() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == owner_key)
            .values(next_attempt_at=later)
        )
    deliver(bot)
    assert bot.fake.dms(SAM) == []
    bot.slack.click(ANA, bot.fake.messages(MANAGERS)[0], Action.FEEDBACK_ACKNOWLEDGE)
    bot.fake.wait_for(lambda: status_of(bot) == "acknowledged", what="acknowledged")
    bot.clock.advance(hours=1)
    deliver(bot)
    [owner_copy] = bot.fake.dms(SAM)
    assert f"Acknowledged by <@{ANA}>" in sent_json(owner_copy)
    assert set(buttons(owner_copy)) == {
        Action.FEEDBACK_RESOLVE,
        Action.FEEDBACK_WONT_FIX,
        Action.EDIT_STEP,
    }


def test_closing_an_item_someone_else_closed_meanwhile_changes_nothing(bot: Bot):
    with_managers(bot)
    one_line(bot, MARIA, "refund 3 the approval link is dead")
    deliver(bot)
    bot.slack.click(SAM, bot.fake.dms(SAM)[0], Action.FEEDBACK_RESOLVE)
    sams = bot.fake.wait_for(lambda: bot.fake.open_view(SAM), what="Sam's reason form")
    bot.slack.click(ANA, bot.fake.messages(MANAGERS)[0], Action.FEEDBACK_WONT_FIX)
    anas = bot.fake.wait_for(lambda: bot.fake.open_view(ANA), what="Ana's reason form")
    assert bot.slack.submit_view(ANA, anas, {"fb-reason": "Out of scope"}).outcome == "closed"
    late = bot.slack.submit_view(SAM, sams, {"fb-reason": "Fixed"})
    assert late.outcome == "errors"
    assert "already marked it wont fix" in bot.fake.view_errors(sams["id"])["fb-reason"]
    [item] = stored(bot)
    assert (item.status, item.status_reason, item.handled_by) == ("wont_fix", "Out of scope", ANA)


def test_a_new_revision_that_changes_the_step_tells_the_author(bot: Bot):
    one_line(bot, MARIA, "refund 3 the approval link is dead")
    one_line(bot, PRIYA, "refund 5 we refund to closed cards too often")
    deliver(bot)
    rewrite_sop(bot, "refund-request.md", "mention the team lead on shift", "use the approval form")
    deliver(bot)
    told = bot.fake.dms(MARIA)[-1]["text"]
    assert "Your feedback on step 3 of Handle a refund request led to a change in v2" in told
    assert bot.fake.dms(PRIYA) == []
    maria, priya = stored(bot)
    assert maria.addressed_revision_id is not None and priya.addressed_revision_id is None
    on_maria, on_priya = bot.fake.dms(SAM)  # the owner's copies, updated in place
    assert "step changed in v2" in visible_text(on_maria) and set(buttons(on_maria)) == HANDLING
    assert "step changed" not in visible_text(on_priya)

    # A step inserted before Priya's only shifts it; changing it later links her feedback.
    rewrite_sop(
        bot,
        "refund-request.md",
        "### 5. Issue the refund",
        "### Check fraud\nRole: Agent\nLook.\n\n### 5. Issue the refund",
    )
    deliver(bot)
    assert bot.fake.dms(PRIYA) == []
    rewrite_sop(bot, "refund-request.md", "original payment method only", "card on file only")
    deliver(bot)
    assert (
        "step 5 of Handle a refund request led to a change in v4" in bot.fake.dms(PRIYA)[-1]["text"]
    )
    assert len(bot.fake.dms(MARIA)) == 1  # told once


def test_list_and_home_show_open_feedback_to_managers_and_owners_and_own_to_everyone(bot: Bot):
    with_managers(bot)
    rewrite_sop(bot, "customer-inquiry.md", "owner: U01SAMLEAD", "owner: tom@example.com")
    one_line(bot, MARIA, "refund 3 the approval link is dead")
    bot.clock.advance(hours=3)
    one_line(bot, PRIYA, "customer 2 which priority is a refund question?")
    bot.clock.advance(minutes=5)

    listed = visible_text(one_line(bot, SAM, "list"))
    assert "Open feedback (2)" in listed
    assert listed.index("Decide who approves") < listed.index("Understand and classify")
    assert "3 h old" in listed and "5 min old" in listed
    scoped = visible_text(one_line(bot, SAM, "list refund"))
    assert "Decide who approves" in scoped and "Understand and classify" not in scoped
    owner = visible_text(one_line(bot, TOM, "list"))
    assert "Understand and classify" in owner and "Decide who approves" not in owner
    assert "for managers and SOP owners" in visible_text(one_line(bot, MARIA, "list"))

    bot.slack.app_home_opened(MARIA)
    home = visible_text(bot.fake.wait_for(lambda: bot.fake.home(MARIA), what="Maria's Home"))
    assert "Your feedback" in home and "Decide who approves" in home and "Open" in home
    assert "Open feedback" not in home
    bot.slack.app_home_opened(SAM)
    home = visible_text(bot.fake.wait_for(lambda: bot.fake.home(SAM), what="Sam's Home"))
    assert "Open feedback (2)" in home
