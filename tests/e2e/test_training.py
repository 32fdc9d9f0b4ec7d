"""Training end to end: who gets the DM, taking the quiz in place, and what is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import bot.slack.training.trainer as trainer_module
from bot.db.training import Assignment, QuizAnswer, QuizAttempt
from bot.jobs.training import remind_training
from bot.services import kpi_records
from bot.slack.ids import Action
from bot.slacksim.seed import ANA, DEPLOYBOT, LEE, MARIA, PRIYA, SAM, SOPBOT, SUPPORT, TOM
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, deliver, visible_text
from tests.e2e.training_helpers import (
    REFUND_AUDIENCE,
    answer,
    assign,
    dms_keyed,
    edit_refund,
    forged_click,
    invitation,
    message,
    name_nobody_in_the_refund_audience,
    press_any_answer,
    refund_only,
    refund_revision_ids,
    refund_sop,
    start_quiz,
)

STEP_7 = "Set the reason code"


@pytest.fixture
def seeds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Attempt seeds handed out in order (1, 2, 3...), so reshuffles are reproducible."""
    given: list[int] = []

    def next_seed() -> int:
        given.append(len(given) + 1)
        return given[-1]

    monkeypatch.setattr(trainer_module, "new_seed", next_seed)
    return given


def assignment_of(bot: Bot, user: str, revision_id: int) -> Assignment:
    with bot.runtime.database.session() as session:
        return session.scalars(
            select(Assignment).where(
                Assignment.user_id == user, Assignment.revision_id == revision_id
            )
        ).one()


def answers_stored(bot: Bot) -> int:
    with bot.runtime.database.session() as session:
        return session.scalar(select(func.count(QuizAnswer.id)))


def test_a_changed_sop_dms_every_audience_member_once_and_tells_the_owner(bot: Bot):
    refund_only(bot)
    for member in (LEE, DEPLOYBOT):  # a deactivated person and another app's bot in #support
        bot.fake.ws.join(SUPPORT, member)
    assign(bot)
    deliver(bot)
    name_nobody_in_the_refund_audience(bot)  # published with the next edit
    edit_refund(bot, STEP_7, "First set the reason code")
    result = assign(bot)["refund-request"]
    assert (result.revision, result.audience, result.created) == (2, 4, 4)
    assert [str(u) for u in result.unresolved] == ["U0G9QF9C6: no Slack user with that ID"]
    deliver(bot)

    v1, v2 = refund_revision_ids(bot)
    for user in REFUND_AUDIENCE:
        (dm,) = dms_keyed(bot, user, f"training:{v2}:")
        assert "Reworded step 7: Log and close" in visible_text(dm)
        assert "What it is for" in visible_text(dm) and "one business day" in visible_text(dm)
        assert buttons(dm) == {
            Action.START_QUIZ: str(assignment_of(bot, user, v2).id),
            Action.WALK_THROUGH: "refund-request",
        }
    for user in (TOM, ANA, LEE, DEPLOYBOT, SOPBOT):
        assert dms_keyed(bot, user, "training:") == []
    (note,) = dms_keyed(bot, SAM, f"unresolved:{v2}")
    assert "U0G9QF9C6" in visible_text(note) and "no Slack user with that ID" in visible_text(note)
    assert len(dms_keyed(bot, SAM, "unresolved:")) == 1  # v1 named only real people

    again = assign(bot)["refund-request"]
    assert (again.created, deliver(bot)) == (0, 0)


def test_a_first_revision_invites_everyone_and_a_minor_revision_nobody(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    (v1,) = refund_revision_ids(bot)
    for user in REFUND_AUDIENCE:
        assert "A new SOP concerns you" in visible_text(invitation(bot, user, v1))
    edit_refund(bot, STEP_7, "Set the reason-code", minor=True)
    assert assign(bot)["refund-request"].created == 0
    assert deliver(bot) == 0
    assert len(refund_revision_ids(bot)) == 2


def test_answering_right_and_wrong_in_place_then_passing(bot: Bot, seeds):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    (v1,) = refund_revision_ids(bot)
    sop = refund_sop(bot)
    ts = invitation(bot, MARIA, v1)["ts"]
    shown = start_quiz(bot, MARIA, ts)
    assert "Question 1 of 5" in visible_text(shown)
    assert "correct" not in json_values(shown)

    shown, _ = answer(bot, MARIA, ts, sop, right=False)
    assert "Not quite." in visible_text(shown) and "Question 2 of 5" in visible_text(shown)
    for number in range(3, 6):
        shown, _ = answer(bot, MARIA, ts, sop, right=True)
        assert "Right." in visible_text(shown) and f"Question {number} of 5" in visible_text(shown)
    shown, _ = answer(bot, MARIA, ts, sop, right=True)
    assert "Passed:" in visible_text(shown) and "4 of 5 right (80%)" in visible_text(shown)
    assert not buttons(shown)
    record = assignment_of(bot, MARIA, v1)
    assert (record.status, record.score, record.attempts) == ("current", 80, 1)
    assert answers_stored(bot) == 5
    assert len(bot.fake.dms(MARIA)) == 1  # everything happened in the one message


def json_values(shown: dict) -> str:
    """Every action_id and value in a message, where a leaked answer would show."""
    found = []
    for block in shown["blocks"]:
        elements = block.get("elements") or []
        for element in [*elements, block.get("accessory") or {}, block.get("element") or {}]:
            found += [element.get("action_id", ""), element.get("value", "")]
            found += [o.get("value", "") for o in element.get("options") or []]
    return " ".join(found)


def test_a_fail_offers_review_and_a_reshuffled_retry(bot: Bot, seeds):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    (v1,) = refund_revision_ids(bot)
    sop = refund_sop(bot)
    ts = invitation(bot, PRIYA, v1)["ts"]
    start_quiz(bot, PRIYA, ts)
    for _ in range(5):
        shown, _ = answer(bot, PRIYA, ts, sop, right=False)
    assert "Not passed yet:" in visible_text(shown) and "0 of 5 right (0%" in visible_text(shown)
    assert "Step 4: Approve refunds over $200" in visible_text(shown)
    assert set(buttons(shown)) == {Action.WALK_THROUGH, Action.QUIZ_RETRY}

    bot.slack.click(PRIYA, shown, Action.WALK_THROUGH)
    parent = bot.fake.wait_for(
        lambda: next((m for m in bot.fake.dms(PRIYA) if m["ts"] != ts), None),
        what="a run in the DM",
    )
    assert "Handle a refund request" in visible_text(parent)

    bot.slack.click(PRIYA, shown, Action.QUIZ_RETRY)
    retried = bot.fake.wait_for(
        lambda: "Question 1 of 5" in visible_text(m := message(bot, PRIYA, ts)) and m,
        what="the second attempt",
    )
    assert "Attempt" not in visible_text(retried)
    with bot.runtime.database.session() as session:
        first, second = session.scalars(select(QuizAttempt).order_by(QuizAttempt.number)).all()
    assert (first.status, second.status, second.number) == ("failed", "open", 2)
    assert first.seed != second.seed and first.questions != second.questions

    assert bot.slack.replay().status == 200  # the same Try again, delivered again
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="a refusal")[-1]
    assert "out of date" in visible_text(refusal)
    with bot.runtime.database.session() as session:
        assert session.scalar(select(func.count(QuizAttempt.id))) == 2


def test_leaving_the_audience_withdraws_open_training_and_coming_back_invites_again(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    (v1,) = refund_revision_ids(bot)
    ts = invitation(bot, SAM, v1)["ts"]  # Sam is in the audience through #support only
    start_quiz(bot, SAM, ts)
    bot.fake.ws.leave(SUPPORT, SAM)
    result = assign(bot)["refund-request"]
    assert (result.audience, result.created, result.withdrawn) == (3, 0, 1)
    assert assignment_of(bot, SAM, v1).status == "withdrawn"
    with bot.runtime.database.session() as session:
        attempt = session.scalars(select(QuizAttempt)).one()
        assert attempt.status == "closed"
        assert kpi_records.sop_infos(session, workspace_id=1)[0].audience_size == 3
    press_any_answer(bot, SAM, message(bot, SAM, ts))
    bot.fake.wait_for(
        lambda: (
            "no longer in this SOP's audience"
            in visible_text((bot.fake.ephemerals(SAM) or [{}])[-1])
        ),
        what="the withdrawn refusal",
    )
    assert answers_stored(bot) == 0
    bot.clock.advance(days=30)
    assert remind_training(bot.job_context).overdue == 3  # Maria, Priya and Jo; not Sam
    deliver(bot)
    assert dms_keyed(bot, SAM, f"reminder:{assignment_of(bot, SAM, v1).id}:") == []
    assert assign(bot)["refund-request"].withdrawn == 0  # already withdrawn: nothing twice

    bot.fake.ws.join(SUPPORT, SAM)
    back = assign(bot)["refund-request"]
    assert (back.audience, back.created, back.withdrawn) == (4, 1, 0)
    assert assign(bot)["refund-request"].created == 0  # invited back once
    deliver(bot)
    (again,) = dms_keyed(bot, SAM, f"training:{v1}:{SAM}:back:")
    assert buttons(again)[Action.START_QUIZ] == str(assignment_of(bot, SAM, v1).id)
    assert assignment_of(bot, SAM, v1).status == "pending"


def test_an_audience_channel_slack_cannot_read_withdraws_nobody(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    bot.fake.ws.channels[SUPPORT].name = "support-renamed"
    result = assign(bot)["refund-request"]
    assert "#support" in [u.entry for u in result.unresolved]
    assert result.withdrawn == 0  # Sam is missing only because #support could not be read


def test_someone_elses_button_an_old_button_and_a_superseded_quiz_change_nothing(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    (v1,) = refund_revision_ids(bot)
    sop = refund_sop(bot)
    ts = invitation(bot, MARIA, v1)["ts"]

    assert forged_click(bot, PRIYA, ts, Action.START_QUIZ).status == 200
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="a refusal")[-1]
    assert "sent to someone else" in visible_text(refusal)
    with bot.runtime.database.session() as session:
        assert session.scalar(select(func.count(QuizAttempt.id))) == 0

    start_quiz(bot, MARIA, ts)
    answer(bot, MARIA, ts, sop, right=True)
    assert bot.slack.replay().status == 200  # the first answer's button, pressed again
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(MARIA), what="a refusal")[-1]
    assert "out of date" in visible_text(refusal)
    assert answers_stored(bot) == 1

    edit_refund(bot, STEP_7, "First set the reason code")
    assign(bot)
    assert assignment_of(bot, MARIA, v1).status == "superseded"
    shown = message(bot, MARIA, ts)
    press_any_answer(bot, MARIA, shown)
    bot.fake.wait_for(
        lambda: "replaced by a newer revision" in visible_text(bot.fake.ephemerals(MARIA)[-1]),
        what="the superseded refusal",
    )
    assert answers_stored(bot) == 1
    assert message(bot, MARIA, ts) == shown  # the old quiz message is left as it was
