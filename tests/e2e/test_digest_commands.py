"""`/sop kpis`, `/sop config`, the digest's drill-down, review nudges, the Home tab and the CLI."""

# Fixtures are imported by name from the helpers; pytest passes them in by parameter name.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.db.models import SopRecord
from bot.jobs import digest as digest_jobs
from bot.slack.ids import Action
from bot.slacksim.seed import ANA, MARIA, OPS, OPS_MANAGERS, SAM, SUPPORT
from tests.e2e.conversation import buttons, deliver, visible_text
from tests.e2e.digest_helpers import (  # noqa: F401 - make_bot is a fixture
    digests_posted,
    latest_ephemeral,
    make_bot,
    run_jobs,
    set_clock,
)
from tests.e2e.training_helpers import assign, dms_keyed, message

MONDAY_0900 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
TUESDAY_0900_BERLIN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def ask(bot, user: str, text: str, channel: str = OPS_MANAGERS) -> dict:
    seen = len(bot.fake.ephemerals(user))
    bot.slack.command(user, "/sop", text, channel=channel)
    return latest_ephemeral(bot, user, seen)


def test_kpis_are_for_managers_and_staff_get_a_friendly_refusal(make_bot):
    bot = make_bot(MONDAY_0900)
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    bot.fake.wait_for(lambda: bot.fake.messages(SUPPORT), what="a run")
    for query in ("kpis", "kpis refund", "kpis refund 30d"):
        refusal = visible_text(ask(bot, MARIA, query, channel=SUPPORT))
        assert "KPIs are for managers" in refusal and "Runs" not in refusal
    totals = visible_text(ask(bot, ANA, "kpis"))  # a member of MANAGER_CHANNEL
    assert "KPIs — last 7 days" in totals and "Runs 1 started" in totals
    one = visible_text(ask(bot, SAM, "kpis refund 30d"))  # a workspace admin
    assert "Handle a refund request — last 30 days" in one and "1 started" in one
    assert "Use 7d or 30d" in visible_text(ask(bot, SAM, "kpis refund 9d"))
    assert "No SOP clearly matches" in visible_text(ask(bot, SAM, "kpis zebra crossing"))


def test_help_shows_the_manager_and_admin_commands_only_to_those_who_may_use_them(make_bot):
    bot = make_bot(MONDAY_0900)
    staff = visible_text(ask(bot, MARIA, "help", channel=SUPPORT))
    assert "/sop training" in staff and "/sop kpis" not in staff and "/sop config" not in staff
    manager = visible_text(ask(bot, ANA, "help"))  # a member of MANAGER_CHANNEL
    assert "/sop kpis [SOP] [7d|30d]" in manager and "/sop training SOP" in manager
    assert "/sop config" not in manager
    admin = visible_text(ask(bot, SAM, ""))  # a workspace admin
    assert "/sop kpis" in admin and "/sop config" in admin


def test_the_digest_puts_attention_first_and_details_drill_down_for_managers(make_bot):
    bot = make_bot(MONDAY_0900)
    assign(bot)  # every audience is assigned and nobody has passed: coverage 0%
    deliver(bot)
    set_clock(bot, TUESDAY_0900_BERLIN)
    run_jobs(bot)
    (digest,) = digests_posted(bot)
    assert "Needs attention" in visible_text(digest) and "coverage 0%" in visible_text(digest)
    assert buttons(digest)[Action.DIGEST_DETAILS]
    seen = len(bot.fake.ephemerals(ANA))
    bot.slack.click(ANA, digest, Action.DIGEST_DETAILS, value="refund-request")
    details = visible_text(latest_ephemeral(bot, ANA, seen))
    assert "Handle a refund request — last 7 days" in details
    assert "Training coverage 0% (0 of 4)" in details and f"@{MARIA}" in details


def test_config_changes_the_digest_time_and_it_takes_effect(make_bot):
    bot = make_bot(MONDAY_0900)
    assert "Only sopbot admins" in visible_text(ask(bot, ANA, "config"))  # a manager, not an admin
    assert bot.fake.open_view(ANA) is None
    bot.slack.command(SAM, "/sop", "config", channel=OPS)
    form = bot.fake.wait_for(lambda: bot.fake.open_view(SAM), what="the settings form")
    answer = bot.slack.submit_view(SAM, form["id"], values={"digest-time": "10:30"})
    assert answer.status == 200
    saved = bot.fake.wait_for(
        lambda: "Saved" in visible_text(bot.fake.open_view(SAM) or {}) and bot.fake.open_view(SAM),
        what="the saved view",
    )
    assert "10:30 Europe/Berlin, every day" in visible_text(saved)

    set_clock(bot, TUESDAY_0900_BERLIN)
    # Monday's, now due at 10:30 (after sopbot started at 10:00), was missed by over 6 hours.
    assert run_jobs(bot) == ["2026-11-29:skipped"] and digests_posted(bot) == []
    set_clock(bot, TUESDAY_0900_BERLIN + timedelta(minutes=90))
    assert run_jobs(bot) == ["2026-11-30:sent"]
    assert len(digests_posted(bot)) == 1


def test_weekdays_from_config_leave_out_the_weekend(make_bot):
    bot = make_bot(MONDAY_0900)
    bot.slack.command(SAM, "/sop", "config", channel=OPS)
    form = bot.fake.wait_for(lambda: bot.fake.open_view(SAM), what="the settings form")
    weekdays = {"digest-days": ["0", "1", "2", "3", "4"]}
    assert bot.slack.submit_view(SAM, form["id"], values=weekdays).status == 200
    set_clock(bot, datetime(2026, 12, 4, 8, 0, tzinfo=UTC))  # Friday 09:00 in Berlin
    assert run_jobs(bot) == ["2026-12-02:skipped", "2026-12-03:sent"]  # Thursday's was missed
    for saturday_or_sunday in (5, 6):
        set_clock(bot, datetime(2026, 12, saturday_or_sunday, 8, 0, tzinfo=UTC))
        assert run_jobs(bot) == []
    set_clock(bot, datetime(2026, 12, 7, 8, 0, tzinfo=UTC))  # Monday
    assert run_jobs(bot) == ["2026-12-06:sent"]


def test_a_stale_sop_nudges_its_owner_once_and_confirm_records_a_review(make_bot):
    bot = make_bot(MONDAY_0900)
    bot.clock.advance(days=91)  # refund-request and customer-inquiry review every 90 days
    assert digest_jobs.nudge_stale(bot.job_context) == 2  # both owned by Sam
    assert digest_jobs.nudge_stale(bot.job_context) == 0  # once per review period
    deliver(bot)
    nudges = {buttons(m)[Action.REVIEW_CONFIRM]: m for m in dms_keyed(bot, SAM, "stale:")}
    assert set(nudges) == {"refund-request", "customer-inquiry"}
    nudge = nudges["refund-request"]
    assert "Is it still right?" in visible_text(
        nudge
    ) and "last changed 91 days ago" in visible_text(nudge)
    bot.slack.click(SAM, nudge, Action.REVIEW_CONFIRM, value="refund-request")
    bot.fake.wait_for(
        lambda: "confirmed as still right" in visible_text(message(bot, SAM, nudge["ts"])),
        what="the nudge replaced in place",
    )
    with bot.runtime.database.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == "refund-request")).one()
        assert record.last_reviewed_at == bot.clock()
    bot.clock.advance(days=60)
    assert digest_jobs.nudge_stale(bot.job_context) == 0  # refund reviewed, inquiry nudged already
    bot.clock.advance(days=30)  # the inquiry enters its second review period, and the two
    # SOPs reviewed every 180 days come due: Ana owns both (by ID and by e-mail)
    assert digest_jobs.nudge_stale(bot.job_context) == 3
    bot.clock.advance(days=2)  # 92 days after the review
    assert digest_jobs.nudge_stale(bot.job_context) == 1


def test_managers_see_todays_kpis_on_their_home_tab(make_bot):
    bot = make_bot(MONDAY_0900)
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    bot.fake.wait_for(lambda: bot.fake.messages(SUPPORT), what="a run")
    for user in (SAM, MARIA):
        bot.slack.app_home_opened(user)
    sam = bot.fake.wait_for(lambda: bot.fake.home(SAM), what="Sam's Home tab")
    maria = bot.fake.wait_for(lambda: bot.fake.home(MARIA), what="Maria's Home tab")
    assert "Today so far 1 run" in visible_text(sam)
    assert "Today so far" not in visible_text(maria)


@pytest.fixture
def cli(make_bot, monkeypatch, tmp_path):
    """A bot with some activity, and the CLI pointed at its database and fake Slack."""
    bot = make_bot(MONDAY_0900)
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    bot.fake.wait_for(lambda: bot.fake.messages(SUPPORT), what="a run")
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "SOPBOT_", "DIGEST_")) or name in ("SOPS_DIR",):
            monkeypatch.delenv(name)
    settings = bot.runtime.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", bot.fake.token)
    monkeypatch.setenv("SLACK_API_URL", bot.fake.api_url)
    monkeypatch.setenv("MANAGER_CHANNEL", OPS_MANAGERS)
    monkeypatch.setenv("DIGEST_TZ", "Europe/Berlin")
    return bot


def test_digest_print_send_and_force_from_the_command_line(cli, capsys):
    bot = cli
    assert main(["digest", "--print", "--date", "2026-11-30"], clock=cli.clock) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("sopbot digest for Mon 30 Nov 2026 (Europe/Berlin)\n1 run,")
    assert digests_posted(bot) == []  # printing sends nothing
    assert main(["digest", "--send", "--date", "2026-11-30"], clock=cli.clock) == 0
    assert "sent the digest for 2026-11-30" in capsys.readouterr().out
    (digest,) = digests_posted(bot)
    assert len(bot.fake.thread(OPS_MANAGERS, digest["ts"])) == 2  # the chart in its thread
    assert main(["digest", "--send", "--date", "2026-11-30"], clock=cli.clock) == 1
    assert "already sent" in capsys.readouterr().out
    assert main(["digest", "--send", "--date", "2026-11-30", "--force"], clock=cli.clock) == 0
    assert len(digests_posted(bot)) == 2
    assert (
        main(["digest", "--print", "--force"], clock=cli.clock) == 2
    )  # --force goes with --send only
    assert "--force only goes with --send" in capsys.readouterr().err


def test_kpis_export_and_sops_confirm_from_the_command_line(cli, capsys):
    since = ["kpis", "export", "--format", "csv", "--since", "2026-11-29", "--until", "2026-12-01"]
    assert main(since, clock=cli.clock) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["day"], r["sop"], r["runs_started"]) for r in rows] == [
        ("2026-11-29", "*", "0"),
        ("2026-11-30", "refund-request", "1"),
        ("2026-11-30", "*", "1"),
        ("2026-12-01", "*", "0"),
    ]
    assert rows[1]["runs_open"] == "1" and rows[1]["lookups"] == "1"
    assert main(["sops", "confirm", "refund-request"], clock=cli.clock) == 0
    assert "refund-request: review recorded" in capsys.readouterr().out
    assert main(["sops", "confirm", "no-such-sop"], clock=cli.clock) == 2
    with cli.runtime.database.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == "refund-request")).one()
        assert record.last_reviewed_at is not None
