"""A run handed from role to role: the sample refund SOP casts Sam as its Team lead (step 4)."""

from __future__ import annotations

from sqlalchemy import select

from bot.db.models import Event, Run, RunVisit
from bot.db.outbox import OutboxMessage
from bot.slack.ids import Action
from bot.slacksim.seed import ANA, MARIA, OPS, PRIYA, SAM, SUPPORT, TOM
from tests.e2e.conftest import Bot
from tests.e2e.conversation import (
    buttons,
    deliver,
    run_thread,
    sent_json,
    step_with_buttons,
    visible_text,
)
from tests.e2e.feedback_helpers import rewrite_sop


def _with(bot: Bot, parent_ts: str, action: str, text: str = "") -> dict:
    """The newest thread message offering `action` (and showing `text`)."""
    return bot.fake.wait_for(
        lambda: next(
            (
                m
                for m in reversed(bot.fake.thread(SUPPORT, parent_ts))
                if action in sent_json(m) and (text in visible_text(m) or text in sent_json(m))
            ),
            None,
        ),
        what=f"a message with {action} {text!r}",
    )


def _refusal(bot: Bot, user: str, text: str) -> str:
    return bot.fake.wait_for(
        lambda: next(
            (sent_json(e) for e in bot.fake.ephemerals(user) if text in sent_json(e)), None
        ),
        what=f"a refusal to {user} saying {text!r}",
    )


def _queued(bot: Bot, fragment: str) -> None:
    """Wait until the bot has queued an outbox message whose key contains `fragment`."""

    def found() -> bool:
        with bot.runtime.database.session() as session:
            keys = session.scalars(select(OutboxMessage.key)).all()
        return any(fragment in key for key in keys)

    bot.fake.wait_for(found, what=f"an outbox message {fragment!r}")


def _to_step_four(bot: Bot) -> dict:
    """Maria starts the refund SOP and finishes steps 1-3; returns the run's parent."""
    seen = len(bot.fake.messages(SUPPORT))
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    bot.fake.wait_for(lambda: len(bot.fake.messages(SUPPORT)) > seen, what="a new run")
    parent, _ = run_thread(bot)
    for number in (1, 2, 3):
        step = step_with_buttons(bot, SUPPORT, parent["ts"], number)
        assert bot.slack.click(MARIA, step, Action.STEP_DONE).status == 200
    return parent


def _current_step(bot: Bot) -> int:
    with bot.runtime.database.session() as session:
        return session.scalars(select(Run)).one().current_step


def test_step_waits_for_the_team_lead_who_is_told_takes_it_and_alone_can_finish_it(bot: Bot):
    parent = _to_step_four(bot)
    waiting = _with(bot, parent["ts"], Action.TAKE_STEP)
    assert "Waiting for a Team lead" in visible_text(waiting)
    assert Action.STEP_DONE not in buttons(waiting)

    _queued(bot, "handoff:")
    deliver(bot)
    dm = bot.fake.wait_for(lambda: bot.fake.dms(SAM), what="Sam's DM")[-1]
    assert f"<@{MARIA}> needs a *Team lead* for step 4 of *Handle a refund request*" in sent_json(
        dm
    )
    assert "Go to the thread" in visible_text(dm) and "https://" in sent_json(dm)
    assert "<!here>" not in sent_json(dm) and "<!channel>" not in sent_json(dm)
    assert bot.fake.dms(PRIYA) == [] and bot.fake.dms(MARIA) == []

    bot.clock.advance(minutes=7)
    bot.slack.click(MARIA, waiting, Action.TAKE_STEP)
    assert "not hold the *Team lead* role" in _refusal(bot, MARIA, "not hold")
    assert _current_step(bot) == 4

    assert bot.slack.click(SAM, waiting, Action.TAKE_STEP).status == 200
    step = _with(bot, parent["ts"], Action.STEP_DONE, "Step 4 of 7")
    assert f"Step 4 · *Team lead* · <@{SAM}>" in sent_json(step)
    bot.fake.wait_for(
        lambda: any("Taken by" in visible_text(m) for m in bot.fake.thread(SUPPORT, parent["ts"])),
        what="the waiting message marked taken",
    )
    _queued(bot, ":taken")
    deliver(bot)
    updated = bot.fake.wait_for(
        lambda: next((m for m in bot.fake.dms(SAM) if "Taken by" in visible_text(m)), None),
        what="Sam's DM updated in place",
    )
    assert updated["ts"] == dm["ts"]

    # Only the assignee's Done counts.
    bot.slack.click(MARIA, step, Action.STEP_DONE)
    assert f"is <@{SAM}>'s" in _refusal(bot, MARIA, "is <@")
    assert _current_step(bot) == 4
    bot.slack.click(SAM, step, Action.STEP_DONE)
    five = _with(bot, parent["ts"], Action.STEP_DONE, "Step 5 of 7")
    assert f"Step 5 · *Agent* · <@{MARIA}>" in sent_json(five)

    with bot.runtime.database.session() as session:
        visits = {v.step_number: v for v in session.scalars(select(RunVisit))}
        assert visits[4].assignee_id == SAM and visits[4].outcome == "done"
        assert (visits[4].taken_at - visits[4].started_at).total_seconds() == 7 * 60
        assert visits[5].assignee_id == MARIA
        taken = session.scalars(select(Event).where(Event.kind == "handoff_taken")).one()
        assert taken.data["role"] == "Team lead" and taken.data["seconds"] == 420

    bot.slack.command(SAM, "/sop", "kpis refund", channel=SUPPORT)
    kpis = bot.fake.wait_for(
        lambda: next((e for e in bot.fake.ephemerals(SAM) if "Hand-offs" in visible_text(e)), None),
        what="the hand-off KPIs",
    )
    assert "Hand-off wait: Team lead 7.0 min median (1)" in visible_text(kpis)
    assert "Slowest hand-off: step 4 (Team lead), 7.0 min" in visible_text(kpis)


def test_handing_to_someone_outside_the_role_is_refused_then_to_the_team_lead_works(bot: Bot):
    parent = _to_step_four(bot)
    waiting = _with(bot, parent["ts"], Action.TAKE_STEP)
    bot.slack.select(MARIA, waiting, Action.HAND_TO, PRIYA)
    refusal = _refusal(bot, MARIA, "not hold")
    assert f"<@{PRIYA}> does not hold the *Team lead* role" in refusal
    assert _current_step(bot) == 4 and Action.TAKE_STEP in sent_json(
        bot.fake.thread(SUPPORT, parent["ts"])[-1]
    )

    bot.slack.select(PRIYA, waiting, Action.HAND_TO, SAM)  # not the starter, not a manager
    assert "Only the run's starter" in _refusal(bot, PRIYA, "Only the run's starter")

    bot.slack.select(MARIA, waiting, Action.HAND_TO, SAM)
    step = _with(bot, parent["ts"], Action.STEP_DONE, "Step 4 of 7")
    assert "Taken by" in visible_text(bot.fake.thread(SUPPORT, parent["ts"])[-2])
    assert f"<@{SAM}>" in sent_json(step)
    with bot.runtime.database.session() as session:
        taken = session.scalars(select(Event).where(Event.kind == "handoff_taken")).one()
        assert (taken.user_id, taken.data["how"], taken.data["assignee"]) == (MARIA, "handed", SAM)


def test_stopping_a_waiting_run_withdraws_the_notices(bot: Bot):
    parent = _to_step_four(bot)
    waiting = _with(bot, parent["ts"], Action.TAKE_STEP)
    _queued(bot, "handoff:")
    deliver(bot)
    dm = bot.fake.wait_for(lambda: bot.fake.dms(SAM), what="Sam's DM")[-1]
    bot.slack.click(MARIA, waiting, Action.STOP_RUN)
    _queued(bot, ":taken")
    deliver(bot)
    bot.fake.wait_for(
        lambda: any(
            m["ts"] == dm["ts"] and "No longer needed" in visible_text(m) for m in bot.fake.dms(SAM)
        ),
        what="Sam's DM saying it is no longer needed",
    )
    bot.fake.wait_for(
        lambda: "Stopped at step 4" in visible_text(bot.fake.messages(SUPPORT)[-1]),
        what="the run stopped at step 4",
    )


def test_a_manager_reassigns_a_step_and_stops_the_run(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    first = step_with_buttons(bot, SUPPORT, parent["ts"], 1)

    bot.slack.select(PRIYA, first, Action.REASSIGN, PRIYA)  # Priya manages nothing
    assert "Only a manager" in _refusal(bot, PRIYA, "Only a manager")

    bot.slack.select(SAM, first, Action.REASSIGN, PRIYA)  # Sam: workspace admin, SOP owner
    again = _with(bot, parent["ts"], Action.STEP_DONE, f"<@{PRIYA}>")
    assert "Step 1 of 7" in visible_text(again)
    assert any("Reassigned to" in visible_text(m) for m in bot.fake.thread(SUPPORT, parent["ts"]))
    bot.slack.click(MARIA, again, Action.STEP_DONE)
    assert f"is <@{PRIYA}>'s" in _refusal(bot, MARIA, "is <@")
    bot.slack.click(PRIYA, again, Action.STEP_DONE)
    second = _with(bot, parent["ts"], Action.STEP_DONE, "Step 2 of 7")
    assert f"<@{PRIYA}>" in sent_json(second)  # same role: whoever pressed Done goes on

    bot.slack.click(ANA, second, Action.STOP_RUN)  # neither the starter nor a manager of it
    bot.fake.wait_for(lambda: bot.fake.ephemerals(ANA), what="Ana refused")
    bot.slack.click(SAM, second, Action.STOP_RUN)
    bot.fake.wait_for(
        lambda: "Stopped at step 2" in visible_text(bot.fake.messages(SUPPORT)[-1]),
        what="the run stopped by a manager",
    )


def test_an_sop_without_cast_runs_exactly_as_before(bot: Bot):
    bot.slack.command(MARIA, "/sop", "inquiry", channel=SUPPORT)
    parent, _ = run_thread(bot)
    total = 9
    for number in range(1, total + 1):
        step = step_with_buttons(bot, SUPPORT, parent["ts"], number)
        assert f"Step {number} of {total}" in visible_text(step)
        assert Action.REASSIGN not in sent_json(step) and f"Step {number} ·" not in sent_json(step)
        bot.slack.click(MARIA, step, Action.STEP_DONE)
    bot.fake.wait_for(
        lambda: "Completed" in visible_text(bot.fake.messages(SUPPORT)[-1]),
        what="the run completed",
    )
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Run)).one().status == "completed"
        assert session.scalars(select(Event).where(Event.kind == "handoff_taken")).all() == []
        assert session.scalars(select(OutboxMessage)).all() == []


def test_whoever_holds_the_next_role_too_simply_goes_on(bot: Bot):
    bot.slack.command(SAM, "/sop", "refund", channel=SUPPORT)  # Sam is cast as the Team lead
    parent, _ = run_thread(bot)
    for number in (1, 2, 3):
        step = step_with_buttons(bot, SUPPORT, parent["ts"], number)
        assert bot.slack.click(SAM, step, Action.STEP_DONE).status == 200
    four = _with(bot, parent["ts"], Action.STEP_DONE, "Step 4 of 7")
    assert f"Step 4 · *Team lead* · <@{SAM}>" in sent_json(four)
    assert all(Action.TAKE_STEP not in sent_json(m) for m in bot.fake.thread(SUPPORT, parent["ts"]))
    with bot.runtime.database.session() as session:
        assert session.scalars(select(OutboxMessage)).all() == []  # nobody was told
        assert session.scalars(select(Event).where(Event.kind == "handoff_taken")).all() == []
        visit = session.scalars(select(RunVisit).where(RunVisit.step_number == 4)).one()
        assert visit.assignee_id == SAM


def test_a_role_whose_cast_names_nobody_is_handed_by_a_manager_to_anyone_and_says_so(bot: Bot):
    # No Slack user has this e-mail: the Team lead role is cast, but nobody holds it.
    cast, nobody = '"Team lead": "U01SAMLEAD"', '"Team lead": "x@example.com"'
    rewrite_sop(bot, "refund-request.md", cast, nobody)
    parent = _to_step_four(bot)
    waiting = _with(bot, parent["ts"], Action.TAKE_STEP)
    bot.slack.click(SAM, waiting, Action.TAKE_STEP)  # not cast any more: nobody may take it
    assert "Nobody holds the *Team lead* role" in _refusal(bot, SAM, "Nobody holds")
    bot.slack.select(MARIA, waiting, Action.HAND_TO, PRIYA)  # the starter is no manager of it
    refusal = _refusal(bot, MARIA, "Nobody holds")
    assert "A manager of this SOP can hand step 4" in refusal
    assert "until the cast is fixed" in refusal
    assert _current_step(bot) == 4

    bot.slack.select(SAM, waiting, Action.HAND_TO, PRIYA)  # Sam manages it: the way out
    step = _with(bot, parent["ts"], Action.STEP_DONE, "Step 4 of 7")
    assert f"<@{PRIYA}>" in sent_json(step)
    taken = visible_text(bot.fake.thread(SUPPORT, parent["ts"])[-2])
    assert "nobody holds this role now" in taken and "names no one sopbot can find" in taken

    bot.slack.select(SAM, step, Action.REASSIGN, ANA)  # Reassign: to anyone too, and says so
    again = _with(bot, parent["ts"], Action.STEP_DONE, f"<@{ANA}>")
    assert "Step 4 of 7" in visible_text(again)
    reassigned = [
        visible_text(m)
        for m in bot.fake.thread(SUPPORT, parent["ts"])
        if "Reassigned to" in visible_text(m)
    ]
    assert reassigned and "nobody holds this role now" in reassigned[-1]
    bot.slack.click(ANA, again, Action.STEP_DONE)
    _with(bot, parent["ts"], Action.STEP_DONE, "Step 5 of 7")


def _needs(messages: list[dict]) -> list[dict]:
    return [m for m in messages if "needs a *Team lead* for step 4" in sent_json(m)]


def test_a_role_cast_as_a_channel_is_told_by_dm_up_to_five_people_else_in_the_channel(bot: Bot):
    rewrite_sop(bot, "refund-request.md", '"Team lead": "U01SAMLEAD"', '"Team lead": "#ops"')
    # #ops has three people (Tom, Ana, Sam): each gets a DM, and #ops gets nothing.
    parent = _to_step_four(bot)
    waiting = _with(bot, parent["ts"], Action.TAKE_STEP)
    _queued(bot, "handoff:")
    deliver(bot)
    assert [len(_needs(bot.fake.dms(p))) for p in (TOM, ANA, SAM)] == [1, 1, 1]
    assert _needs(bot.fake.messages(OPS)) == []
    bot.slack.click(MARIA, waiting, Action.STOP_RUN)
    bot.fake.wait_for(
        lambda: "Stopped at step 4" in visible_text(bot.fake.messages(SUPPORT)[-1]),
        what="the first run stopped",
    )

    # Three more join #ops: six hold the role, so one message in #ops instead of six DMs.
    newcomers = [
        bot.fake.ws.add_user(name=f"ops{n}", email=f"ops{n}@example.com").id for n in "123"
    ]
    for person in newcomers:
        bot.fake.ws.join(OPS, person)
    bot.publish()  # the cast is resolved again, as the daily refresh does
    dms = [len(bot.fake.dms(p)) for p in (TOM, ANA, SAM)]
    parent = _to_step_four(bot)
    _with(bot, parent["ts"], Action.TAKE_STEP)
    _queued(bot, ":channel")
    deliver(bot)
    (notice,) = _needs(bot.fake.messages(OPS))
    assert "<!" not in sent_json(notice)  # never @here or @channel
    assert [len(bot.fake.dms(p)) for p in (TOM, ANA, SAM)] == dms  # no new DMs
    assert all(_needs(bot.fake.dms(p)) == [] for p in newcomers)

    waiting = _with(bot, parent["ts"], Action.TAKE_STEP)
    bot.slack.click(TOM, waiting, Action.TAKE_STEP)
    _with(bot, parent["ts"], Action.STEP_DONE, "Step 4 of 7")
    _queued(bot, ":channel:taken")
    deliver(bot)
    bot.fake.wait_for(
        lambda: any(
            m["ts"] == notice["ts"] and f"Taken by <@{TOM}>" in sent_json(m)
            for m in bot.fake.messages(OPS)
        ),
        what="the #ops notice updated in place",
    )
