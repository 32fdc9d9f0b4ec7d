"""Modal submissions answer in their ack: a rate-limited Slack must not hold that answer."""

from __future__ import annotations

from bot.slack.guard.unavailable import SLACK_BUSY
from bot.slack.ids import Action
from bot.slacksim.seed import ANA, MARIA, PRIYA
from tests.e2e.conftest import Bot
from tests.e2e.conversation import deliver
from tests.e2e.feedback_helpers import (
    MANAGERS,
    choose_sop,
    one_line,
    open_form,
    stored,
    with_managers,
)


def test_a_rate_limited_owner_look_up_does_not_hold_the_forms_ack(bot: Bot):
    form = choose_sop(bot, PRIYA, open_form(bot, PRIYA), "refund-request", "refund")
    # Waiting out these Retry-Afters (twice 4 s) would miss Slack's 3 seconds.
    bot.fake.fail("users.info", retry_after=4, times=3)
    values = {"fb-sop": "refund-request", Action.FEEDBACK_STEP: "2", "fb-text": "Link is dead"}
    submitted = bot.slack.submit_view(PRIYA, form, values)
    assert (submitted.outcome, submitted.acked_in_time) == ("updated", True)
    assert [item.text for item in stored(bot)] == ["Link is dead"]


def test_a_rate_limited_rights_check_says_slack_is_busy_under_the_reason(bot: Bot):
    with_managers(bot)
    one_line(bot, MARIA, "refund 3 the approval link is dead")
    deliver(bot)
    [managers_copy] = bot.fake.messages(MANAGERS)
    bot.slack.click(ANA, managers_copy, Action.FEEDBACK_RESOLVE)
    form = bot.fake.wait_for(lambda: bot.fake.open_view(ANA), what="the reason form")
    # Ana's rights were looked up for the button; the form asks Slack again.
    bot.context.people.cache.clear()
    bot.fake.fail("users.info", retry_after=4, times=3)
    closed = bot.slack.submit_view(ANA, form, {"fb-reason": "Fixed"})
    assert (closed.outcome, closed.acked_in_time) == ("errors", True)
    assert list(bot.fake.view_errors(form["id"]).values()) == [SLACK_BUSY]
    assert stored(bot)[0].status == "open"
