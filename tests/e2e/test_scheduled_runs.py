"""Scheduled runs end to end: posted once, taken, reminded, escalated, missed, measured."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db.models import SopRecord
from bot.db.scheduled import ScheduledRun
from bot.db.sops import default_workspace
from bot.services import scheduled_runs
from bot.services.kpi_export import SCHEDULE_COLUMNS, export_rows
from bot.slack.ids import Action
from bot.slacksim.seed import ANA, LEADS, MARIA, OPS, OPS_MANAGERS, SAM, SUPPORT, TOM
from tests.e2e.conversation import buttons, sent_json, visible_text
from tests.e2e.digest_helpers import (  # noqa: F401 - make_bot is a fixture
    make_bot,
    set_clock,
)
from tests.e2e.schedule_helpers import (
    CLOSE_TILL,
    add_close_till,
    finish,
    scheduled_posts,
    take,
    tick,
)

MONDAY_NOON = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
MONDAY_21_BERLIN = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)


def test_a_scheduled_run_is_posted_once_taken_by_one_person_and_done_on_time(make_bot):  # noqa: F811 - the fixture
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)
    assert tick(bot) == []  # not yet time
    set_clock(bot, MONDAY_21_BERLIN)
    assert tick(bot) == ["close-till@#ops:posted"]
    assert tick(bot) == []  # exactly once, however often the tick runs
    (post,) = scheduled_posts(bot, OPS)
    assert "Scheduled: Close the till, due by 21:30" in visible_text(post)
    assert "<!" not in sent_json(post)  # no @channel, no @here

    take(bot, MARIA, post)  # not in #ops
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(MARIA), what="Maria's refusal")[-1]
    assert "members of" in visible_text(refusal)

    take(bot, TOM, post)
    taken = bot.fake.wait_for(
        lambda: next((m for m in bot.fake.messages(OPS) if "Taken by" in visible_text(m)), None),
        what="the post marked taken",
    )
    assert f"<@{TOM}>" in sent_json(taken) and not buttons(taken)
    with bot.runtime.database.session() as session:  # Ana's press, a moment too late
        row = session.scalars(select(ScheduledRun)).one()
        late = scheduled_runs.take(
            session, scheduled_id=row.id, user_id=ANA, thread=(OPS, post["ts"]),
            now=bot.clock(), default_tz="UTC",
        )  # fmt: skip
    assert (late.verdict, late.taken_by) == ("taken", TOM)
    assert bot.slack.replay().status == 200  # Slack retrying Tom's press starts nothing more

    bot.clock.advance(minutes=10)
    finish(bot, TOM, OPS, post["ts"])
    with bot.runtime.database.session() as session:
        row = session.scalars(select(ScheduledRun)).one()
        assert (row.taken_by, row.channel_id, row.state) == (TOM, OPS, "posted")
    set_clock(bot, datetime(2026, 11, 30, 21, 0, tzinfo=UTC))
    assert tick(bot) == []  # finished on time: no reminder, no escalation
    kpis = bot.slack.command(SAM, "/sop", "kpis close-till")
    assert kpis.status == 200
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(SAM), what="the KPIs")[-1]
    assert "Close the till in #ops: 1 of 1 on time, 0 late, 0 missed (100%)" in visible_text(answer)
    seen = len(bot.fake.ephemerals(SAM))
    assert bot.slack.command(SAM, "/sop", "kpis").status == 200  # every SOP: adherence too
    overview = bot.fake.wait_for(lambda: bot.fake.ephemerals(SAM)[seen:], what="all KPIs")[-1]
    assert "Close the till in #ops: 1 of 1 on time, 0 late, 0 missed (100%)" in visible_text(
        overview
    )


def test_late_runs_are_reminded_and_escalated_and_runs_missed_while_down_are_recorded(make_bot):  # noqa: F811 - the fixture
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)
    set_clock(bot, MONDAY_21_BERLIN)
    tick(bot)
    (post,) = scheduled_posts(bot, OPS)
    take(bot, TOM, post)
    bot.fake.wait_for(lambda: len(bot.fake.thread(OPS, post["ts"])) > 1, what="step 1")

    set_clock(bot, datetime(2026, 11, 30, 20, 30, tzinfo=UTC))  # due
    assert tick(bot) == ["close-till@#ops:reminded"]
    reminder = bot.fake.thread(OPS, post["ts"])[-1]
    assert "was due by 21:30" in visible_text(reminder) and "<!" not in sent_json(reminder)
    assert any("was due by 21:30" in visible_text(m) for m in bot.fake.dms(TOM))
    assert not bot.fake.messages(LEADS)

    set_clock(bot, datetime(2026, 11, 30, 21, 5, tzinfo=UTC))
    assert tick(bot) == ["close-till@#ops:escalated"]
    assert tick(bot) == []
    (escalation,) = bot.fake.messages(LEADS)  # the SOP's managers, not MANAGER_CHANNEL
    assert not bot.fake.messages(OPS_MANAGERS)
    text = visible_text(escalation)
    assert (
        "Close the till" in text
        and "35 min overdue" in text
        and f"<@{TOM}>" in sent_json(escalation)
    )
    assert f"<#{OPS}>" in sent_json(escalation)
    finish(bot, TOM, OPS, post["ts"])  # done, but late

    # sopbot is down from Monday night to Wednesday 21:10 Berlin: Tuesday's run is missed,
    # Wednesday's still within its due time and starts late.
    set_clock(bot, datetime(2026, 12, 2, 20, 10, tzinfo=UTC))
    assert tick(bot) == ["close-till@#ops:missed", "close-till@#ops:posted"]
    assert len(bot.fake.messages(OPS)) == 2  # Monday's (now completed) and Wednesday's
    with bot.runtime.database.session() as session:
        states = session.scalars(
            select(ScheduledRun.state)
            .where(ScheduledRun.channel == "#ops", ScheduledRun.due_at > MONDAY_NOON)
            .join(SopRecord, SopRecord.id == ScheduledRun.sop_id)
            .where(SopRecord.slug == "close-till")
            .order_by(ScheduledRun.id)
        ).all()
    assert states == ["posted", "missed", "posted"]

    set_clock(bot, datetime(2026, 12, 3, 12, 0, tzinfo=UTC))  # Wednesday's is never taken
    tick(bot)
    bot.slack.command(SAM, "/sop", "kpis close-till")
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(SAM), what="the KPIs")[-1]
    text = visible_text(answer)
    assert "Close the till in #ops: 0 of 3 on time, 1 late, 2 missed (0%)" in text
    assert "3 scheduled runs in a row late or missed in #ops" in text  # the health's why
    with bot.runtime.database.session() as session:  # `sopbot kpis export`
        rows = export_rows(
            session, workspace_id=default_workspace(session).id, tz=ZoneInfo("Europe/Berlin"),
            since=date(2026, 11, 30), until=date(2026, 12, 3), now=bot.clock(),
        )  # fmt: skip
        close_till = [
            [r["day"], *(r[c] for c in SCHEDULE_COLUMNS)] for r in rows if r["sop"] == "close-till"
        ]
    assert close_till == [
        ["2026-11-30", "1", "0", "1", "0", "0.0000", "#ops 0/1/0"],
        ["2026-12-01", "1", "0", "0", "1", "0.0000", "#ops 0/0/1"],
        ["2026-12-02", "1", "0", "0", "1", "0.0000", "#ops 0/0/1"],
    ]


def test_an_sop_without_a_schedule_posts_nothing_and_shows_no_schedule_kpis(make_bot):  # noqa: F811 - the fixture
    bot = make_bot(MONDAY_NOON)
    set_clock(bot, MONDAY_21_BERLIN)
    assert tick(bot) == []
    assert bot.fake.messages(SUPPORT) == []  # refund-request has no schedule: nothing posted
    with bot.runtime.database.session() as session:
        assert session.scalars(select(ScheduledRun.sop_id)).all() == []  # nor claimed
    bot.slack.command(SAM, "/sop", "kpis refund")
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(SAM), what="the KPIs")[-1]
    assert "Scheduled runs" not in visible_text(answer)


CAST_CLOSE_TILL = CLOSE_TILL.replace(
    'managers: "#leads"', 'managers: "#leads"\ncast: {Closer: "' + ANA + '"}'
).replace("### Count the cash\n", "### Count the cash\nRole: Closer\n")


def test_a_cast_first_role_decides_who_may_take_a_scheduled_run(make_bot):  # noqa: F811 - the fixture
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot, CAST_CLOSE_TILL)
    set_clock(bot, MONDAY_21_BERLIN)
    assert tick(bot) == ["close-till@#ops:posted"]
    (post,) = scheduled_posts(bot, OPS)

    take(bot, TOM, post)  # in #ops, but not cast as the Closer
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(TOM), what="Tom's refusal")[-1]
    assert "starts with a *Closer* step" in sent_json(refusal)
    take(bot, ANA, post)  # the Closer
    taken = bot.fake.wait_for(
        lambda: next((m for m in bot.fake.messages(OPS) if "Taken by" in visible_text(m)), None),
        what="the post marked taken",
    )
    assert f"<@{ANA}>" in sent_json(taken)


TEAM_CLOSE_TILL = CAST_CLOSE_TILL.replace(
    'cast: {Closer: "' + ANA + '"}', 'cast: {Closer: "' + ANA + '", Checker: "' + TOM + '"}'
).replace("### Lock the safe\n", "### Lock the safe\nRole: Checker\n")


def test_the_reminder_dm_and_escalation_go_to_whoever_holds_the_open_step(make_bot):  # noqa: F811 - the fixture
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot, TEAM_CLOSE_TILL)
    set_clock(bot, MONDAY_21_BERLIN)
    tick(bot)
    (post,) = scheduled_posts(bot, OPS)
    take(bot, ANA, post)  # the Closer
    first = bot.fake.wait_for(
        lambda: next(
            (m for m in bot.fake.thread(OPS, post["ts"]) if Action.STEP_DONE in buttons(m)), None
        ),
        what="step 1",
    )
    assert bot.slack.click(ANA, first, Action.STEP_DONE).status == 200
    waiting = bot.fake.wait_for(
        lambda: next(
            (m for m in bot.fake.thread(OPS, post["ts"]) if Action.TAKE_STEP in buttons(m)), None
        ),
        what="step 2 waiting for the Checker",
    )
    assert bot.slack.click(TOM, waiting, Action.TAKE_STEP).status == 200
    bot.fake.wait_for(
        lambda: any(
            f"Step 2 · *Checker* · <@{TOM}>" in sent_json(m)
            for m in bot.fake.thread(OPS, post["ts"])
        ),
        what="step 2 taken by Tom",
    )

    set_clock(bot, datetime(2026, 11, 30, 20, 30, tzinfo=UTC))  # due
    assert tick(bot) == ["close-till@#ops:reminded"]
    assert any("was due by 21:30" in visible_text(m) for m in bot.fake.dms(TOM))
    assert not any("was due by 21:30" in visible_text(m) for m in bot.fake.dms(ANA))
    set_clock(bot, datetime(2026, 11, 30, 21, 5, tzinfo=UTC))
    assert tick(bot) == ["close-till@#ops:escalated"]
    (escalation,) = bot.fake.messages(LEADS)
    assert f"<@{TOM}>" in sent_json(escalation) and f"<@{ANA}>" not in sent_json(escalation)


def test_without_a_timezone_the_times_are_in_digest_tz(make_bot):  # noqa: F811 - the fixture
    bot = make_bot(MONDAY_NOON, digest_tz="America/New_York")
    add_close_till(bot, CLOSE_TILL.replace("timezone: Europe/Berlin\n", ""))
    set_clock(bot, MONDAY_21_BERLIN)  # 21:00 in Berlin is 15:00 in New York: not yet
    assert tick(bot) == []
    set_clock(bot, datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 21:00 in New York
    assert tick(bot) == ["close-till@#ops:posted"]
    (post,) = scheduled_posts(bot, OPS)
    assert "due by 21:30" in visible_text(post)
