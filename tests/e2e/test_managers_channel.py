"""An SOP's `managers:` channel: its members manage it, and it gets its own daily digest."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import team_digests as team_digest_store
from bot.jobs import digest as digest_jobs
from bot.jobs import team_digests
from bot.jobs.training import assign_training, remind_training
from bot.slack.ids import Action
from bot.slacksim.seed import (
    ANA,
    GENERAL,
    JO,
    LEADS,
    MARIA,
    OPS,
    OPS_MANAGERS,
    PRIYA,
    SAM,
    SUPPORT,
    TOM,
)
from bot.wiring import build_job_context, build_runtime
from tests.e2e.authoring_helpers import sop_edit
from tests.e2e.conversation import buttons, deliver, sent_json, visible_text
from tests.e2e.digest_helpers import (  # noqa: F401 - make_bot is a fixture
    digests_posted,
    latest_ephemeral,
    make_bot,
    run_jobs,
    set_clock,
)
from tests.e2e.feedback_helpers import one_line
from tests.e2e.schedule_helpers import (
    CLOSE_TILL,
    add_close_till,
    finish,
    scheduled_posts,
    take,
    tick,
)
from tests.e2e.test_scheduled_runs import CAST_CLOSE_TILL

MONDAY_NOON = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
TUESDAY_0900_BERLIN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def team_tick(bot) -> list[str]:
    done = team_digests.tick(bot.job_context)
    deliver(bot)
    return done


def test_a_managers_channel_gets_a_digest_of_only_its_sops_once_with_adherence(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)
    set_clock(bot, datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    tick(bot)
    (post,) = scheduled_posts(bot, OPS)
    take(bot, TOM, post)
    bot.clock.advance(minutes=40)  # past 21:30: late
    finish(bot, TOM, OPS, post["ts"])

    set_clock(bot, TUESDAY_0900_BERLIN)
    assert team_tick(bot) == [f"{LEADS}:2026-11-30:sent"]
    assert team_tick(bot) == []  # exactly once
    (team,) = [m for m in bot.fake.messages(LEADS) if "Daily digest" in visible_text(m)]
    text = visible_text(team)
    assert "Close the till in #ops: 0 of 1 on time, 1 late, 0 missed (0%)" in text
    assert "refund" not in text.lower()  # only its SOPs
    run_jobs(bot)  # the overview still covers every SOP, adherence included
    (overview,) = digests_posted(bot)
    assert "Close the till in #ops: 0 of 1 on time" in visible_text(overview)
    assert len(bot.fake.messages(OPS_MANAGERS)) == 1  # nothing else went to the overview


def test_managers_channel_members_manage_its_sop_and_only_it(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)
    bot.fake.ws.join(LEADS, TOM)
    seen = len(bot.fake.ephemerals(TOM))
    bot.slack.command(TOM, "/sop", "kpis close-till", channel=OPS)
    assert "Close the till — last 7 days" in visible_text(latest_ephemeral(bot, TOM, seen))
    seen = len(bot.fake.ephemerals(TOM))
    bot.slack.command(TOM, "/sop", "kpis refund", channel=OPS)
    assert "Close the till" not in visible_text(latest_ephemeral(bot, TOM, seen))


def test_config_shows_and_changes_a_managers_channels_digest(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)
    bot.slack.command(SAM, "/sop", "config", channel=OPS)
    form = bot.fake.wait_for(lambda: bot.fake.open_view(SAM), what="the overview's form")
    assert f"<#{LEADS}> at 09:00 Europe/Berlin, every day" in str(form)
    bot.slack.command(SAM, "/sop", "config #leads", channel=OPS)
    form = bot.fake.wait_for(
        lambda: (v := bot.fake.open_view(SAM)) and v.get("private_metadata") == LEADS and v,
        what="the managers channel's form",
    )
    assert bot.slack.submit_view(SAM, form["id"], values={"digest-time": "10:30"}).status == 200
    saved = bot.fake.wait_for(
        lambda: "Saved" in visible_text(bot.fake.open_view(SAM) or {}) and bot.fake.open_view(SAM),
        what="the saved view",
    )
    assert "10:30 Europe/Berlin" in visible_text(saved)
    set_clock(bot, TUESDAY_0900_BERLIN)
    assert team_tick(bot) == []  # not before 10:30
    set_clock(bot, TUESDAY_0900_BERLIN + timedelta(minutes=90))
    assert team_tick(bot) == [f"{LEADS}:2026-11-30:sent"]
    run_jobs(bot)
    assert len(digests_posted(bot)) == 1  # the overview kept its 09:00


def _step(bot, parent_ts: str, number: int, not_ts: str = "") -> dict:
    """The newest message of step `number` of 2 in the run's thread offering Done."""
    return bot.fake.wait_for(
        lambda: next(
            (
                m
                for m in reversed(bot.fake.thread(OPS, parent_ts))
                if f"Step {number} of 2" in visible_text(m)
                and Action.STEP_DONE in buttons(m)
                and m["ts"] != not_ts
            ),
            None,
        ),
        what=f"step {number} with its Done button",
    )


def test_managers_channel_members_reassign_and_stop_its_runs(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot, CAST_CLOSE_TILL)  # managers: "#leads"; Ana is cast as the Closer
    bot.fake.ws.join(LEADS, PRIYA)  # Priya: no admin, not in MANAGER_CHANNEL, not the owner
    set_clock(bot, datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    tick(bot)
    (post,) = scheduled_posts(bot, OPS)
    take(bot, ANA, post)
    first = _step(bot, post["ts"], 1)
    assert bot.slack.click(ANA, first, Action.STEP_DONE).status == 200
    second = _step(bot, post["ts"], 2)
    assert Action.REASSIGN in sent_json(second)

    seen = len(bot.fake.ephemerals(JO))
    bot.slack.select(JO, second, Action.REASSIGN, TOM)  # Jo manages nothing
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(JO)[seen:], what="Jo's refusal")
    assert "Only a manager" in sent_json(refusal[-1])

    bot.slack.select(PRIYA, second, Action.REASSIGN, TOM)  # a member of the SOP's #leads
    again = _step(bot, post["ts"], 2, not_ts=second["ts"])
    assert any(
        "Reassigned to" in visible_text(m) and f"<@{TOM}>" in sent_json(m)
        for m in bot.fake.thread(OPS, post["ts"])
    )

    assert bot.slack.click(PRIYA, again, Action.STOP_RUN).status == 200
    bot.fake.wait_for(
        lambda: any("Stopped at step 2" in visible_text(m) for m in bot.fake.messages(OPS)),
        what="the run stopped by a member of the SOP's managers channel",
    )


def test_managers_channel_members_may_edit_its_sop_and_only_it(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)  # managers: "#leads"
    bot.fake.ws.join(LEADS, PRIYA)  # Priya: no admin, not in MANAGER_CHANNEL, not the owner
    view = sop_edit(bot, PRIYA, "close-till 1")
    assert view is not None and "Edit step 1 of Close the till" in visible_text(view)
    assert sop_edit(bot, PRIYA, "refund 3") is None  # not an SOP of #leads
    assert "Only its owner" in visible_text(bot.fake.ephemerals(PRIYA)[-1])
    assert bot.slack.submit_view(PRIYA, view, {"edit-body": "Count it three times."}).status == 200
    # Her Home tab lists the edits to the SOPs she manages; Jo's (she manages none) does not.
    for user in (PRIYA, JO):
        bot.slack.app_home_opened(user)
    priya = bot.fake.wait_for(
        lambda: "Recent edits" in (t := sent_json(bot.fake.home(PRIYA) or {})) and t,
        what="Priya's Home tab with the edit",
    )
    assert f"Close the till* v2 · edited by <@{PRIYA}>" in priya
    jo = bot.fake.wait_for(lambda: bot.fake.home(JO), what="Jo's Home tab")
    assert "Recent edits" not in sent_json(jo)


# The owner cannot be reached (no Slack user has this e-mail), everyone in #ops is trained, and
# the SOP asks for a review every 30 days.
UNREACHABLE_OWNER = CLOSE_TILL.replace("owner: U01SAMLEAD", "owner: gone@example.com").replace(
    "due: 30m", 'due: 30m\naudience: ["#ops"]\nreview_every: 30d'
)


def test_feedback_overdue_training_and_review_nudges_go_to_the_sops_managers_channel(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot, UNREACHABLE_OWNER)
    before = len(bot.fake.messages(OPS_MANAGERS))

    answer = one_line(bot, TOM, "close-till 1 the counting machine is broken", channel=OPS)
    assert "<#" + LEADS + ">" in str(answer)  # told where it went
    deliver(bot)
    assert any("counting machine is broken" in visible_text(m) for m in bot.fake.messages(LEADS))

    assign_training(bot.job_context)
    deliver(bot)
    for _ in range(4):  # overdue after three reminder intervals (2 days each)
        bot.clock.advance(days=2)
        remind_training(bot.job_context)
        deliver(bot)
    overdue = [m for m in bot.fake.messages(LEADS) if "is overdue for" in visible_text(m)]
    assert len(overdue) == 1 and f"<@{TOM}>" in sent_json(overdue[0])

    bot.clock.advance(days=23)  # 31 days after the publish
    assert digest_jobs.nudge_stale(bot.job_context) == 1
    deliver(bot)
    assert any("Is it still right?" in visible_text(m) for m in bot.fake.messages(LEADS))

    after = bot.fake.messages(OPS_MANAGERS)[before:]
    assert not any("Close the till" in visible_text(m) for m in after), after


def test_feedback_list_shows_a_managers_channel_member_the_items_of_its_sops(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)  # managers: "#leads"
    one_line(bot, TOM, "close-till 1 the counting machine is broken", channel=OPS)
    one_line(bot, TOM, "refund 3 the approval link is dead", channel=OPS)
    bot.fake.ws.join(LEADS, PRIYA)  # Priya: no admin, not in MANAGER_CHANNEL, owns nothing
    listed = one_line(bot, PRIYA, "list", channel=OPS)
    assert "counting machine is broken" in visible_text(listed)
    assert "approval link" not in visible_text(listed)  # refund-request is not a #leads SOP


# Jo (staff, jo@example.com) owns this one by e-mail; it names no managers channel.
JOS_SOP = """---
id: count-the-floats
owner: jo@example.com
---
# Count the floats

## Steps
### Count
Count them.
"""


def ask(bot, user: str, text: str, channel: str = OPS) -> str:
    seen = len(bot.fake.ephemerals(user))
    bot.slack.command(user, "/sop", text, channel=channel)
    return visible_text(latest_ephemeral(bot, user, seen))


def home_text(bot, user: str, *, shows: str) -> str:
    bot.slack.app_home_opened(user)
    return bot.fake.wait_for(
        lambda: shows in (t := visible_text(bot.fake.home(user) or {})) and t,
        what=f"{user}'s Home tab showing {shows!r}",
    )


def test_a_managers_channel_member_gets_the_manager_commands_and_todays_kpis_of_its_sops(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)  # managers: "#leads"
    (bot.sops_dir / "count-the-floats.md").write_text(JOS_SOP)
    bot.publish()
    bot.fake.ws.join(LEADS, PRIYA)  # Priya: no admin, not in MANAGER_CHANNEL, owns nothing

    shown = ask(bot, PRIYA, "help")
    assert "For the SOPs you manage: Close the till (close-till)" in shown
    assert "/sop kpis SOP [7d|30d]" in shown and "/sop training SOP" in shown
    assert "/sop edit SOP [STEP]" in shown and "/feedback list" in shown
    assert "/sop kpis [SOP]" not in shown and "/sop config" not in shown  # not every SOP's
    assert "count-the-floats" not in shown.split("/sop kpis SOP")[0]  # Jo's, not hers
    owner = ask(bot, JO, "help")  # an owner by e-mail, of her SOP only
    assert "For the SOPs you manage: Count the floats (count-the-floats)" in owner
    assert "close-till" not in owner.split("/sop kpis SOP")[0]
    staff = ask(bot, TOM, "help")  # manages nothing: as before
    assert "/sop kpis" not in staff and "For the SOPs you manage" not in staff

    # Today: one run of Close the till (Tom, scheduled) and one of the refund SOP (Maria).
    set_clock(bot, datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    tick(bot)
    (post,) = scheduled_posts(bot, OPS)
    take(bot, TOM, post)
    bot.fake.wait_for(lambda: len(bot.fake.thread(OPS, post["ts"])) > 1, what="step 1")
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    bot.fake.wait_for(lambda: bot.fake.messages(SUPPORT), what="the refund run")

    priya = home_text(bot, PRIYA, shows="Today so far")
    assert "Today so far in the SOPs you manage (Close the till): 1 run," in priya
    assert "/sop kpis close-till has its last 7 days." in priya
    sam = home_text(bot, SAM, shows="Today so far")  # a manager of every SOP: all of them
    assert "Today so far 2 runs" in sam
    jo = home_text(bot, JO, shows="Count the floats")
    assert "Today so far in the SOPs you manage (Count the floats): 0 runs" in jo
    tom = home_text(bot, TOM, shows="Close the till")
    assert "Today so far" not in tom


def test_refusals_name_the_sops_managers_channel_then_manager_channel(make_bot):  # noqa: F811
    bot = make_bot(MONDAY_NOON)
    # Its managers are the public #ops, where Jo (not a member, manages nothing) can see and
    # press the buttons of the problem routed there.
    add_close_till(bot, UNREACHABLE_OWNER.replace('managers: "#leads"', 'managers: "#ops"'))
    one_line(bot, TOM, "close-till 1 the counting machine is broken", channel=OPS)
    deliver(bot)
    (routed,) = [m for m in bot.fake.messages(OPS) if "counting machine" in visible_text(m)]
    seen = len(bot.fake.ephemerals(JO))
    bot.slack.click(JO, routed, Action.FEEDBACK_ACKNOWLEDGE)
    refused = sent_json(latest_ephemeral(bot, JO, seen))
    assert f"sopbot admins or members of <#{OPS}> or <#{OPS_MANAGERS}> can handle" in refused

    assert sop_edit(bot, JO, "close-till 1") is None
    refused = sent_json(bot.fake.ephemerals(JO)[-1])
    assert f"Only its owner, members of <#{OPS}> or <#{OPS_MANAGERS}>, sopbot admins" in refused
    assert sop_edit(bot, JO, "refund 3") is None  # no managers: of its own
    refused = sent_json(bot.fake.ephemerals(JO)[-1])
    assert f"<@{SAM}>, members of <#{OPS_MANAGERS}>, sopbot admins can edit" in refused
    assert OPS not in refused


# A second scheduled SOP with its own managers channel (#general), run in #support.
CHECK_FLOATS = """---
id: check-the-floats
owner: U01SAMLEAD
schedule: ["every day 21:00 #support"]
timezone: Europe/Berlin
due: 30m
managers: "#general"
---
# Check the floats

## Steps
### Count
Count them.
"""


def test_two_processes_post_each_managers_channels_digest_once_with_its_adherence(
    make_bot,  # noqa: F811
    database_url,
    monkeypatch,
):
    if database_url.startswith("sqlite"):
        pytest.skip("replicas share a PostgreSQL database in production")
    bot = make_bot(MONDAY_NOON)
    add_close_till(bot)  # managers: "#leads"
    (bot.sops_dir / "check-the-floats.md").write_text(CHECK_FLOATS)
    bot.publish()
    set_clock(bot, datetime(2026, 11, 30, 20, 0, tzinfo=UTC))
    tick(bot)
    (till,) = scheduled_posts(bot, OPS)
    (floats,) = scheduled_posts(bot, SUPPORT)
    take(bot, MARIA, floats)
    finish(bot, MARIA, SUPPORT, floats["ts"], steps=1)  # on time
    take(bot, TOM, till)
    bot.clock.advance(minutes=40)  # past 21:30: late
    finish(bot, TOM, OPS, till["ts"])

    # Both processes find each channel's day unclaimed before either claims it: a real race
    # for the claim, not one process finishing before the other looks.
    checked = {LEADS: threading.Barrier(2, timeout=30), GENERAL: threading.Barrier(2, timeout=30)}
    unclaimed = team_digest_store.claimed

    def claimed_then_wait(session, *, workspace_id, channel_id, day):
        found = unclaimed(session, workspace_id=workspace_id, channel_id=channel_id, day=day)
        checked[channel_id].wait()
        return found

    monkeypatch.setattr(team_digest_store, "claimed", claimed_then_wait)
    set_clock(bot, TUESDAY_0900_BERLIN)
    replicas = [build_runtime(bot.runtime.settings, clock=bot.clock) for _ in range(2)]
    outcomes: list[str] = []

    def process(runtime) -> None:
        outcomes.extend(team_digests.tick(build_job_context(runtime)))

    threads = [threading.Thread(target=process, args=(r,)) for r in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for runtime in replicas:
        runtime.database.dispose()
    assert sorted(outcomes) == [
        f"{GENERAL}:2026-11-30:sent",
        f"{GENERAL}:2026-11-30:taken",
        f"{LEADS}:2026-11-30:sent",
        f"{LEADS}:2026-11-30:taken",
    ]
    deliver(bot)
    (leads,) = [m for m in bot.fake.messages(LEADS) if "Daily digest" in visible_text(m)]
    (general,) = [m for m in bot.fake.messages(GENERAL) if "Daily digest" in visible_text(m)]
    assert "Close the till in #ops: 0 of 1 on time, 1 late, 0 missed (0%)" in visible_text(leads)
    assert "Check the floats" not in visible_text(leads)
    text = visible_text(general)
    assert "Check the floats in #support: 1 of 1 on time, 0 late, 0 missed (100%)" in text
    assert "Close the till" not in text
    monkeypatch.setattr(team_digest_store, "claimed", unclaimed)
    assert team_tick(bot) == []  # and never again
