"""The cast from the command line and for contractors: who each role names, who is skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.services import cast
from bot.slack.ids import Action
from bot.slacksim.seed import EVE, GINA, MARIA, SAM
from tests.e2e.conftest import Bot
from tests.e2e.conversation import deliver, sent_json
from tests.e2e.test_handoffs import _queued, _to_step_four, _with
from tests.e2e.training_helpers import REFUND, assign

CAST_LINE = 'cast: {"Team lead": "U01SAMLEAD"}'


def recast(bot: Bot, cast_line: str) -> Path:
    path = bot.sops_dir / REFUND
    text = path.read_text()
    assert CAST_LINE in text
    path.write_text(text.replace(CAST_LINE, cast_line))
    return path


@pytest.fixture
def cli_env(bot: Bot, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Bot:
    """The CLI pointed at the bot's database and fake Slack, in a clean working directory."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "SOPBOT_")) or name in ("SOPS_DIR", "EXTERNAL_PEOPLE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", bot.runtime.settings.database_url)
    return bot


def test_check_and_publish_report_cast_entries_naming_nobody_and_guests_skipped(
    cli_env: Bot, monkeypatch, capsys
):
    bot = cli_env
    path = recast(bot, f'cast: {{"Team lead": ["U01SAMLEAD", "#nowhere", "{GINA}"]}}')
    assert main(["sops", "check", str(bot.sops_dir)]) == 0
    assert "cast: not checked against Slack" in capsys.readouterr().out

    monkeypatch.setenv("SLACK_BOT_TOKEN", bot.fake.token)
    monkeypatch.setenv("SLACK_API_URL", bot.fake.api_url)
    monkeypatch.setenv("EXTERNAL_PEOPLE", "deny")
    assert main(["sops", "check", str(bot.sops_dir)]) == 0
    out = capsys.readouterr().out
    assert "cast       refund-request: Team lead 1" in out
    assert "Team lead: unresolved #nowhere: no channel by that name that sopbot can see" in out
    assert f"Team lead: skipped {GINA}: guest; EXTERNAL_PEOPLE=deny" in out

    # Gina in the audience too, and a material change: training skips her, saying why.
    text = path.read_text().replace('"jo@example.com"]', f'"jo@example.com", "{GINA}"]')
    path.write_text(text.replace("Set the reason code", "First set the reason code"))
    assert main(["sops", "publish", str(bot.sops_dir)], clock=bot.clock) == 0
    out = capsys.readouterr().out
    assert f"skipped {GINA}: guest; EXTERNAL_PEOPLE=deny" in out
    assert "Team lead: unresolved #nowhere" in out
    with bot.runtime.database.session() as session:
        assert cast.holders(session, sop="refund-request", role="Team lead") == [SAM]


def test_a_slack_connect_member_cast_as_team_lead_is_told_and_takes_the_step(bot: Bot):
    recast(bot, f'cast: {{"Team lead": "{EVE}"}}')  # Eve is from Acme (EXTERNAL_PEOPLE=listed)
    bot.publish()
    with bot.runtime.database.session() as session:
        assert cast.holders(session, sop="refund-request", role="Team lead") == [EVE]
    parent = _to_step_four(bot)
    waiting = _with(bot, parent["ts"], Action.TAKE_STEP)
    _queued(bot, "handoff:")
    deliver(bot)
    dm = bot.fake.wait_for(lambda: bot.fake.dms(EVE), what="Eve's DM")[-1]
    assert f"<@{MARIA}> needs a *Team lead*" in sent_json(dm)

    bot.slack.click(EVE, waiting, Action.TAKE_STEP)
    step = _with(bot, parent["ts"], Action.STEP_DONE, "Step 4 of 7")
    assert f"<@{EVE}>" in sent_json(step)
    bot.slack.click(EVE, step, Action.STEP_DONE)
    five = _with(bot, parent["ts"], Action.STEP_DONE, "Step 5 of 7")
    assert f"<@{MARIA}>" in sent_json(five)  # back to the Agent who started it


def test_a_guest_and_a_slack_connect_member_named_in_an_audience_are_trained(bot: Bot):
    path = bot.sops_dir / REFUND  # EXTERNAL_PEOPLE=listed (the default)
    text = path.read_text()
    path.write_text(text.replace('"jo@example.com"]', f'"jo@example.com", "{GINA}", "{EVE}"]'))
    bot.publish()
    assign(bot)
    deliver(bot)
    for outsider in (GINA, EVE):
        dm = bot.fake.wait_for(lambda u=outsider: bot.fake.dms(u), what=f"{outsider}'s invitation")
        assert Action.START_QUIZ in sent_json(dm[-1]), sent_json(dm[-1])
