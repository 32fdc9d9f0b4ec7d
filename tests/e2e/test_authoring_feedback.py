"""Editing from feedback: Edit step on copies and lists; suggestions accepted and credited."""

from __future__ import annotations

from bot.slack.ids import Action
from bot.slacksim.seed import JO, MARIA, PRIYA, SAM, SUPPORT
from tests.e2e.authoring_helpers import (
    changed_lines,
    input_value,
    refund_file,
    revisions,
    sop_edit,
)
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, deliver, sent_json, visible_text
from tests.e2e.feedback_helpers import (
    MANAGERS,
    choose_sop,
    one_line,
    open_form,
    stored,
    with_managers,
)

NEW_GREETING = (
    "Reply within 1 business hour, even if you cannot resolve it yet.\n"
    '> "Hi Alex! I\'m on your refund now."\n'
    "- [ ] Ticket assigned to you"
)


def suggest(bot: Bot, user: str, step: int, words: str, *, anonymous: bool = False) -> None:
    """The feedback form with suggested wording for a step of the refund SOP."""
    form = choose_sop(bot, user, open_form(bot, user), "refund-request", "refund")
    values = {
        "fb-sop": "refund-request",
        Action.FEEDBACK_STEP: str(step),
        "fb-kind": "problem",  # problems reach the managers' channel too
        "fb-text": "Shorter greeting, please",
        "fb-suggestion": words,
        "fb-anon": ["anonymous"] if anonymous else [],
    }
    assert bot.slack.submit_view(user, form, values).outcome == "updated"


def test_edit_step_on_a_routed_copy_opens_the_editor_and_the_feedback_is_addressed(bot: Bot):
    with_managers(bot)
    one_line(bot, MARIA, "refund 3 the $200 limit is too low")
    deliver(bot)
    [copy] = bot.fake.dms(SAM)
    [posted] = bot.fake.messages(MANAGERS)
    assert Action.EDIT_STEP in buttons(copy) and Action.EDIT_STEP in buttons(posted)
    # Someone who sees the managers' copy but is not a manager cannot use it.
    bot.slack.click(PRIYA, posted, Action.EDIT_STEP)
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="a refusal")[-1]
    assert "Only its owner" in visible_text(refusal) and bot.fake.open_view(PRIYA) is None
    bot.slack.click(SAM, copy, Action.EDIT_STEP)
    view = bot.fake.wait_for(lambda: bot.fake.open_view(SAM), what="the editor")
    assert "Edit step 3 of Handle a refund request" in visible_text(view)
    body = input_value(view, "edit-body")
    bot.slack.submit_view(SAM, view, {"edit-body": body.replace("$200", "$300")})
    [item] = stored(bot)
    assert item.addressed_revision_id == revisions(bot)[-1].id
    deliver(bot)
    assert any("led to a change in v2" in visible_text(m) for m in bot.fake.dms(MARIA))


def test_feedback_list_items_carry_edit_step(bot: Bot):
    one_line(bot, MARIA, "refund 2 which e-mail counts?")
    ack = bot.slack.command(SAM, "/feedback", "list", channel=SUPPORT)
    assert ack.status == 200
    listing = bot.fake.wait_for(lambda: bot.fake.ephemerals(SAM), what="the list")[-1]
    assert buttons(listing)[Action.EDIT_STEP] == str(stored(bot)[0].id)


def test_an_accepted_suggestion_is_published_and_credited_to_its_author(bot: Bot):
    with_managers(bot)
    before = refund_file(bot).read_text()
    suggest(bot, JO, 1, NEW_GREETING)
    deliver(bot)
    [copy] = bot.fake.dms(SAM)
    shown = visible_text(copy)
    assert "Suggested wording" in shown and "~" in sent_json(copy) and "*added*" in sent_json(copy)
    assert {Action.ACCEPT_SUGGESTION, Action.EDIT_AND_ACCEPT} <= set(buttons(copy))
    [posted] = bot.fake.messages(MANAGERS)
    bot.slack.click(PRIYA, posted, Action.ACCEPT_SUGGESTION)
    bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="a refusal")
    assert len(revisions(bot)) == 1
    bot.slack.click(SAM, copy, Action.ACCEPT_SUGGESTION)
    # The file is replaced after the revision commits: wait for both, not only the revision.
    bot.fake.wait_for(
        lambda: (
            len(revisions(bot)) == 2 and revisions(bot)[-1].source == refund_file(bot).read_text()
        ),
        what="the new revision, in the database and the file",
    )
    after = refund_file(bot).read_text()
    assert after.count("### ") == before.count("### ")
    assert all(line.startswith(("-", "+")) for line in changed_lines(before, after))
    assert '"Hi Alex! I\'m on your refund now."' in after
    latest = revisions(bot)[-1]
    assert (latest.editor, latest.credit) == (SAM, JO)
    deliver(bot)
    thanked = "Your wording is now step 1 of Handle a refund request, v2"
    assert any(thanked in visible_text(m) for m in bot.fake.dms(JO))
    assert not any("led to a change" in visible_text(m) for m in bot.fake.dms(JO))


def test_an_anonymous_suggestion_is_credited_to_nobody(bot: Bot):
    suggest(bot, JO, 1, NEW_GREETING, anonymous=True)
    deliver(bot)
    [copy] = bot.fake.dms(SAM)
    bot.slack.click(SAM, copy, Action.ACCEPT_SUGGESTION)
    bot.fake.wait_for(lambda: len(revisions(bot)) == 2, what="the new revision")
    assert revisions(bot)[-1].credit is None
    deliver(bot)
    # Jo gets the training DM like anyone in the audience, but no word about the suggestion.
    assert not any(
        "Your wording" in visible_text(m) or "led to a change" in visible_text(m)
        for m in bot.fake.dms(JO)
    )
    assert JO not in sent_json(bot.fake.dms(SAM)[-1])


def test_edit_and_accept_opens_the_editor_with_the_suggestion(bot: Bot):
    suggest(bot, JO, 1, NEW_GREETING)
    deliver(bot)
    [copy] = bot.fake.dms(SAM)
    bot.slack.click(SAM, copy, Action.EDIT_AND_ACCEPT)
    view = bot.fake.wait_for(lambda: bot.fake.open_view(SAM), what="the editor")
    assert input_value(view, "edit-body") == NEW_GREETING
    assert f"Suggested by <@{JO}>" in sent_json(view)
    bot.slack.submit_view(SAM, view, {"edit-note": "thanks Jo"})
    assert revisions(bot)[-1].credit == JO and revisions(bot)[-1].note == "thanks Jo"


def test_feedback_on_this_step_prefills_the_suggested_wording(bot: Bot):
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
        what="a step",
    )
    bot.slack.click(MARIA, step, Action.STEP_FEEDBACK)
    form = bot.fake.wait_for(lambda: bot.fake.open_view(MARIA), what="the form")
    assert input_value(form, "fb-suggestion").startswith("Reply within 1 business hour")
    # Sent unchanged, it is no suggestion.
    bot.slack.submit_view(MARIA, form, {"fb-text": "fine as it is", "fb-kind": "praise"})
    assert stored(bot)[-1].suggestion is None


def test_accepting_a_suggestion_on_a_step_reworded_since_is_refused(bot: Bot):
    suggest(bot, JO, 1, NEW_GREETING)
    deliver(bot)
    [copy] = bot.fake.dms(SAM)
    view = sop_edit(bot, SAM, "refund 1")
    assert view is not None
    bot.slack.submit_view(SAM, view, {"edit-body": "Greet them by name."})
    bot.slack.click(SAM, copy, Action.ACCEPT_SUGGESTION)
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(SAM), what="the answer")[-1]
    assert "Use Edit and accept" in visible_text(answer)
    assert [r.number for r in revisions(bot)] == [1, 2]


def test_saving_the_step_unchanged_publishes_nothing(bot: Bot):
    view = sop_edit(bot, SAM, "refund 2")
    assert view is not None
    answer = bot.slack.submit_view(SAM, view)
    assert "Nothing the SOP shows would change" in answer.body["errors"]["edit-body"]
    assert len(revisions(bot)) == 1
