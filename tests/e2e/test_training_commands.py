"""`/sop training`, the Home tab, who is a manager, the CSV export and `sops publish` output."""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.jobs.training import remind_training
from bot.slack.authz import manages_every_sop, may_handle_sop
from bot.slack.ids import Action
from bot.slacksim.seed import ANA, JO, MARIA, OPS_MANAGERS, PRIYA, SAM, SUPPORT, TOM
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, deliver, sent_json, visible_text
from tests.e2e.training_helpers import (
    REFUND,
    answer,
    assign,
    edit_refund,
    invitation,
    name_nobody_in_the_refund_audience,
    refund_only,
    refund_revision_ids,
    refund_sop,
    start_quiz,
)


def pass_quiz(bot: Bot, user: str, revision_id: int) -> None:
    ts = invitation(bot, user, revision_id)["ts"]
    start_quiz(bot, user, ts)
    for _ in range(5):
        answer(bot, user, ts, refund_sop(bot), right=True)


def latest_ephemeral(bot: Bot, user: str, seen: int) -> dict:
    return bot.fake.wait_for(
        lambda: len(e := bot.fake.ephemerals(user)) > seen and e[-1], what="an answer"
    )


def test_staff_see_their_own_training_and_are_refused_an_sops_list(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    (v1,) = refund_revision_ids(bot)
    bot.slack.command(MARIA, "/sop", "training", channel=SUPPORT)
    mine = latest_ephemeral(bot, MARIA, 0)
    assert "Your training" in visible_text(mine) and "Handle a refund request (v1) — pending" in (
        visible_text(mine)
    )
    assert Action.START_QUIZ in buttons(mine)

    pass_quiz(bot, MARIA, v1)
    bot.slack.command(MARIA, "/sop", "training", channel=SUPPORT)
    mine = latest_ephemeral(bot, MARIA, 1)
    assert "up to date" in visible_text(mine) and "Completed" in visible_text(mine)
    assert "passed" in visible_text(mine) and "100%" in visible_text(mine)

    bot.slack.command(PRIYA, "/sop", "training refund", channel=SUPPORT)
    refusal = latest_ephemeral(bot, PRIYA, 0)
    assert "Only managers and the SOP's owner" in visible_text(refusal)
    assert "<@" not in sent_json(refusal)


def test_a_manager_sees_trained_pending_and_overdue_including_a_newcomer(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    (v1,) = refund_revision_ids(bot)
    pass_quiz(bot, MARIA, v1)
    bot.clock.advance(days=6)
    remind_training(bot.job_context)
    bot.fake.ws.join(SUPPORT, TOM)  # joins #support after the revision was published
    assert assign(bot)["refund-request"].created == 1

    bot.slack.command(SAM, "/sop", "training refund", channel=SUPPORT)
    report = visible_text(latest_ephemeral(bot, SAM, 0))
    assert f"⚠️ Overdue (3): @{JO} @{PRIYA} @{SAM}" in report
    assert f"Pending (1): @{TOM}" in report
    assert f"✅ Trained (1): @{MARIA}" in report


def test_home_tab_lists_open_training_and_its_button_starts_the_quiz_in_the_dm(bot: Bot):
    refund_only(bot)
    assign(bot)
    deliver(bot)
    bot.slack.app_home_opened(PRIYA)
    home = bot.fake.wait_for(lambda: bot.fake.home(PRIYA), what="the Home tab")
    assert "Your training" in visible_text(home) and "Handle a refund request" in visible_text(home)
    before = len(bot.fake.dms(PRIYA))
    bot.slack.click(PRIYA, home, Action.START_QUIZ)
    quiz = bot.fake.wait_for(
        lambda: len(d := bot.fake.dms(PRIYA)) > before and d[-1], what="the quiz in the DM"
    )
    assert "Question 1 of 5" in visible_text(quiz)


def test_who_is_a_manager(bot: Bot):
    ctx = bot.context
    assert manages_every_sop(ctx, SAM)  # workspace admin
    assert not manages_every_sop(ctx, ANA)
    assert may_handle_sop(ctx, MARIA, MARIA)  # the SOP's owner by ID
    assert may_handle_sop(ctx, PRIYA, "priya@example.com")  # by e-mail
    settings = dataclasses.replace(
        ctx.runtime.settings, manager_channel=OPS_MANAGERS, admins=frozenset({TOM})
    )
    configured = dataclasses.replace(
        ctx, runtime=dataclasses.replace(ctx.runtime, settings=settings)
    )
    assert manages_every_sop(configured, ANA)  # in MANAGER_CHANNEL
    assert manages_every_sop(configured, TOM)  # in SOPBOT_ADMINS
    assert not manages_every_sop(configured, JO)


@pytest.fixture
def cli_env(bot: Bot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Bot:
    """The CLI pointed at the bot's database and fake Slack, in a clean working directory."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "SOPBOT_")) or name in ("SOPS_DIR", "MANAGER_CHANNEL"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", bot.runtime.settings.database_url)
    return bot


def test_sops_publish_assigns_training_and_reports_the_unresolved(
    cli_env: Bot, monkeypatch, capsys
):
    bot = cli_env
    refund_only(bot)
    path = bot.sops_dir / REFUND
    path.write_text(path.read_text().replace("Set the reason code", "First set the reason code"))
    assert main(["sops", "publish", str(bot.sops_dir)], clock=bot.clock) == 0
    out = capsys.readouterr().out
    assert "`sopbot run` will assign training" in out  # no SLACK_BOT_TOKEN here

    monkeypatch.setenv("SLACK_BOT_TOKEN", bot.fake.token)
    monkeypatch.setenv("SLACK_API_URL", bot.fake.api_url)
    name_nobody_in_the_refund_audience(bot)
    path.write_text(path.read_text().replace("First set the reason code", "Set a reason code"))
    assert main(["sops", "publish", str(bot.sops_dir)], clock=bot.clock) == 0
    out = capsys.readouterr().out
    assert "training   refund-request v3: 4 people, 4 newly assigned, 0 older superseded" in out
    assert "unresolved U0G9QF9C6: no Slack user with that ID" in out
    deliver(bot)
    assert invitation(bot, JO, refund_revision_ids(bot)[2])


def test_training_export_writes_one_audit_row_per_person_and_revision(cli_env: Bot, capsys):
    bot = cli_env
    refund_only(bot)
    assign(bot)
    deliver(bot)
    v1 = refund_revision_ids(bot)[0]
    pass_quiz(bot, MARIA, v1)
    edit_refund(bot, "Set the reason code", "First set the reason code")
    assign(bot)

    target = bot.sops_dir.parent / "training.csv"
    assert (
        main(["training", "export", "--format", "csv", "--output", str(target)], clock=bot.clock)
        == 0
    )
    assert "wrote 8 training record(s)" in capsys.readouterr().out
    rows = list(csv.DictReader(target.open(newline="")))
    assert [(r["revision"], r["status"]) for r in rows] == [("1", "superseded")] * 4 + [
        ("2", "pending")
    ] * 4
    maria = next(r for r in rows if r["user_id"] == MARIA and r["revision"] == "1")
    assert (maria["score"], maria["attempts"], maria["superseded_by_revision"]) == ("100", "1", "2")
    assert maria["passed_at"].startswith("2026-11-30T09:00") and maria["tz"] == "Europe/Berlin"

    assert main(["training", "export"], clock=bot.clock) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("assignment_id,sop,title,revision,user_id,status")
    assert len(printed) == 9
