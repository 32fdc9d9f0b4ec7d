"""Training reminders on the bot's clock: waking hours in each person's zone, then overdue."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.training import Assignment
from bot.jobs.training import remind_training
from bot.slack.ids import Action
from bot.slacksim.seed import JO, MARIA, PRIYA, SAM
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, deliver, sent_json, visible_text
from tests.e2e.training_helpers import (
    answer,
    assign,
    dms_keyed,
    invitation,
    refund_only,
    refund_revision_ids,
    refund_sop,
    start_quiz,
)

# The bot's clock starts on Monday 2026-11-30 09:00 UTC. The seeded people live in Berlin
# (MARIA), London (SAM), Kolkata (PRIYA) and New York (JO); REMIND_AFTER is two days.


def assignment_ids(bot: Bot) -> dict[str, int]:
    (v1,) = refund_revision_ids(bot)
    with bot.runtime.database.session() as session:
        found = session.scalars(select(Assignment).where(Assignment.revision_id == v1))
        return {a.user_id: a.id for a in found}


def reminded(bot: Bot, ids: dict[str, int]) -> dict[str, int]:
    """How many reminder DMs each person got about the refund training."""
    return {user: len(dms_keyed(bot, user, f"reminder:{ids[user]}:")) for user in ids}


def test_reminders_wait_for_waking_hours_in_each_persons_zone(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    ids = assignment_ids(bot)
    bot.clock.advance(days=1)
    assert remind_training(bot.job_context).reminders == 0

    bot.clock.advance(days=1)  # Wednesday 09:00 UTC: 04:00 in New York
    report = remind_training(bot.job_context)
    assert (report.reminders, report.deferred) == (4, 1)
    assert remind_training(bot.job_context).reminders == 0  # the job is idempotent
    deliver(bot)
    assert reminded(bot, ids) == {MARIA: 1, SAM: 1, PRIYA: 1, JO: 0}
    (note,) = dms_keyed(bot, MARIA, f"reminder:{ids[MARIA]}:1")
    assert "Reminder: your training on Handle a refund request" in visible_text(note)
    assert buttons(note)[Action.START_QUIZ] == str(ids[MARIA])

    bot.clock.advance(hours=3, minutes=59)
    deliver(bot)
    assert reminded(bot, ids)[JO] == 0
    bot.clock.advance(minutes=1)  # 08:00 in New York
    deliver(bot)
    assert reminded(bot, ids)[JO] == 1


def test_a_reminder_due_on_the_weekend_waits_for_monday_morning_there(bot: Bot):
    refund_only(bot)
    bot.clock.advance(days=3, hours=1)  # Thursday 10:00 UTC
    assign(bot)
    deliver(bot)
    ids = assignment_ids(bot)
    bot.clock.advance(days=2)  # Saturday
    assert remind_training(bot.job_context).deferred == 4
    deliver(bot)
    assert set(reminded(bot, ids).values()) == {0}

    bot.clock.advance(days=1, hours=21)  # Monday 07:00 UTC: 08:00 Berlin, 12:30 Kolkata
    deliver(bot)
    assert reminded(bot, ids) == {MARIA: 1, SAM: 0, PRIYA: 1, JO: 0}
    bot.clock.advance(hours=1)  # 08:00 London
    deliver(bot)
    assert reminded(bot, ids) == {MARIA: 1, SAM: 1, PRIYA: 1, JO: 0}
    bot.clock.advance(hours=5)  # 08:00 New York
    deliver(bot)
    assert set(reminded(bot, ids).values()) == {1}


def test_overdue_after_three_intervals_and_the_owner_gets_one_list_a_day(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    ids = assignment_ids(bot)
    (v1,) = refund_revision_ids(bot)
    ts = invitation(bot, MARIA, v1)["ts"]
    start_quiz(bot, MARIA, ts)
    for _ in range(5):
        answer(bot, MARIA, ts, refund_sop(bot), right=True)

    for _ in range(2):
        bot.clock.advance(days=2)
        remind_training(bot.job_context)
        deliver(bot)
    assert reminded(bot, ids) == {MARIA: 0, SAM: 2, PRIYA: 2, JO: 1}  # JO's 2nd: 08:00 NY

    bot.clock.advance(days=2)  # Sunday 09:00 UTC, six days after the assignment
    report = remind_training(bot.job_context)
    assert (report.overdue, report.owners_told, report.reminders) == (3, 1, 0)
    deliver(bot)
    (note,) = dms_keyed(bot, SAM, "overdue:")
    assert "is overdue for 3" in visible_text(note)
    assert all(f"<@{user}>" in sent_json(note) for user in (JO, PRIYA, SAM))
    assert f"<@{MARIA}>" not in sent_json(note)
    assert "/sop training refund-request" in visible_text(note)

    assert reminded(bot, ids)[JO] == 2  # the deferred one went out with the note

    bot.clock.advance(hours=1)
    assert remind_training(bot.job_context).owners_told == 0
    assert deliver(bot) == 0
    with bot.runtime.database.session() as session:
        statuses = {a.user_id: a.status for a in session.scalars(select(Assignment))}
    assert statuses == {MARIA: "current", SAM: "overdue", PRIYA: "overdue", JO: "overdue"}


def test_a_reminder_deferred_to_the_morning_is_dropped_when_the_person_passes_first(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    ids = assignment_ids(bot)
    (v1,) = refund_revision_ids(bot)
    bot.clock.advance(days=2)  # Wednesday 09:00 UTC: 04:00 in New York, so Jo's waits
    assert remind_training(bot.job_context).deferred == 1
    sop = refund_sop(bot)
    ts = invitation(bot, JO, v1)["ts"]
    start_quiz(bot, JO, ts)
    for _ in sop.quiz:
        shown, _ = answer(bot, JO, ts, sop, right=True)
    assert "Passed:" in visible_text(shown)
    bot.clock.advance(hours=5)  # 09:00 in New York: the deferred reminder would be due now
    deliver(bot)
    assert reminded(bot, ids)[JO] == 0
    assert reminded(bot, ids)[MARIA] == 1
