"""/sop answers: help, list, pick lists, misses, garbage, fallbacks, Home, signatures."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from bot.db.models import Event, Run
from bot.slack.ids import Action
from bot.slacksim.seed import DM_MARIA_SAM, HR_PRIVATE, MARIA, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, run_thread, step_with_buttons, visible_text


def last_ephemeral(bot: Bot, user: str = MARIA, count: int = 1) -> dict:
    return bot.fake.wait_for(
        lambda: len(e := bot.fake.ephemerals(user)) >= count and e, what="an ephemeral"
    )[-1]


def starts(message: dict) -> list[str]:
    """The slugs offered with Start buttons, in order."""
    return [
        (block.get("accessory") or {}).get("value")
        for block in message.get("blocks") or []
        if (block.get("accessory") or {}).get("action_id") == Action.START_SOP
    ]


def test_sop_alone_shows_usage_and_the_callers_sops_first(bot: Bot):
    bot.slack.command(MARIA, "/sop", "", channel=SUPPORT)
    answer = last_ephemeral(bot)
    assert "/sop list" in visible_text(answer)
    offered = starts(answer)
    # Typed in #support: the SOPs whose audience names #support come first.
    assert set(offered[:2]) == {"customer-inquiry", "refund-request"}
    assert len(offered) == 5


@contextmanager
def statements(bot: Bot) -> Iterator[list[str]]:
    """The SQL the bot sends meanwhile (its work runs on this process's threads)."""
    sent: list[str] = []

    def record(conn, cursor, statement, *_):  # noqa: ANN001 - SQLAlchemy's event signature
        sent.append(statement.lower())

    engine = bot.runtime.database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def answered(bot: Bot, text: str) -> dict:
    """Maria's ephemeral answer to `/sop TEXT`, once it has come."""
    seen = len(bot.fake.ephemerals(MARIA))
    bot.slack.command(MARIA, "/sop", text, channel=SUPPORT)
    return last_ephemeral(bot, count=seen + 1)


def test_the_help_checks_the_catalog_once_and_a_miss_reads_no_runs(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    run_thread(bot)  # an unfinished run, for the help to show
    with statements(bot) as sent:
        assert "Handle a refund request" in visible_text(answered(bot, ""))
    # One snapshot of the catalog serves the whole help (the SOP list, the runs, the roles).
    assert sum("max(sops.current_revision_id)" in s for s in sent) == 1, sent
    with statements(bot) as sent:
        answered(bot, "dinosaur")
    assert not [s for s in sent if re.search(r"\bfrom runs\b", s)], sent  # a miss shows no runs


def test_list_groups_every_sop_by_tag(bot: Bot):
    bot.slack.command(MARIA, "/sop", "list", channel=SUPPORT)
    answer = visible_text(last_ephemeral(bot))
    for title in ("Handle a refund request", "Onboard a new hire", "Brief and review"):
        assert title in answer
    assert "support" in answer.lower() and "billing" in answer.lower()


def test_an_ambiguous_query_offers_a_pick_list_and_start_begins_the_run(bot: Bot):
    bot.slack.command(MARIA, "/sop", "order", channel=SUPPORT)
    answer = last_ephemeral(bot)
    assert len(starts(answer)) >= 2
    bot.slack.click(MARIA, answer, Action.START_SOP, value=starts(answer)[0])
    parent, _ = run_thread(bot)
    step_with_buttons(bot, SUPPORT, parent["ts"], 1)


def test_a_miss_says_so_with_the_closest_titles_and_is_recorded(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refnud polcy", channel=SUPPORT)  # typos still find it
    parent, _ = run_thread(bot)
    assert "Handle a refund request" in visible_text(parent)
    bot.slack.command(MARIA, "/sop", "dinosaur", channel=SUPPORT)
    answer = last_ephemeral(bot)
    assert "No SOP matches" in visible_text(answer) and "dinosaur" in visible_text(answer)
    with bot.runtime.database.session() as session:
        miss = session.scalars(select(Event).where(Event.kind == "lookup_miss")).one()
    assert miss.data["query"] == "dinosaur" and miss.user_id == MARIA


@pytest.mark.parametrize(
    "garbage", ["x" * 5000, "🦄🦄🦄", "<!channel> <!here> <@U01SAMLEAD>", "   ", "frobnicate --all"]
)
def test_garbage_gets_a_friendly_ephemeral_and_never_a_ping(bot: Bot, garbage: str):
    response = bot.slack.command(MARIA, "/sop", garbage, channel=SUPPORT)
    assert response.status == 200 and response.acked_in_time
    answer = last_ephemeral(bot)
    raw = json.dumps(answer)
    assert "<!channel>" not in raw and "<!here>" not in raw and "<@U01SAMLEAD>" not in raw
    failed = [c for c in bot.fake.calls if not c.ok]
    assert failed == []
    assert bot.fake.messages(SUPPORT) == []


@pytest.mark.parametrize("channel", [HR_PRIVATE, DM_MARIA_SAM])
def test_where_the_bot_cannot_post_the_run_moves_to_a_dm(bot: Bot, channel: str):
    bot.slack.command(MARIA, "/sop", "refund", channel=channel)
    notice = last_ephemeral(bot)
    assert "direct messages" in visible_text(notice)
    parent = bot.fake.wait_for(lambda: bot.fake.dms(MARIA), what="a DM")[0]
    assert "Handle a refund request" in visible_text(parent)
    dm = bot.fake.ws.bot_im(MARIA).id
    step_with_buttons(bot, dm, parent["ts"], 1)


def test_an_unfinished_run_is_offered_first_and_continue_reposts_its_step(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    bot.slack.click(MARIA, step_with_buttons(bot, SUPPORT, parent["ts"], 1), Action.STEP_DONE)
    step_with_buttons(bot, SUPPORT, parent["ts"], 2)
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    offer = last_ephemeral(bot)
    assert "unfinished" in visible_text(offer) and Action.CONTINUE_RUN in buttons(offer)
    bot.slack.click(MARIA, offer, Action.CONTINUE_RUN)
    again = step_with_buttons(bot, SUPPORT, parent["ts"], 3)
    assert "Step 2 of 7" in visible_text(again)
    with bot.runtime.database.session() as session:
        assert len(session.scalars(select(Run)).all()) == 1


def test_a_new_revision_mid_run_is_announced_and_restart_uses_it(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    path = bot.sops_dir / "support" / "refund-request.md"
    path.write_text(path.read_text().replace("Verify the order", "Check the order", 1))
    bot.publish()
    bot.slack.click(MARIA, step_with_buttons(bot, SUPPORT, parent["ts"], 1), Action.STEP_DONE)
    second = step_with_buttons(bot, SUPPORT, parent["ts"], 2)
    assert "v2" in visible_text(second) and Action.RESTART_ON_NEW in buttons(second)
    # The run stays pinned to v1: the old step title is still shown.
    assert "Verify the order" in visible_text(second)
    bot.slack.click(MARIA, second, Action.RESTART_ON_NEW)
    new_parent = bot.fake.wait_for(
        lambda: len(m := bot.fake.messages(SUPPORT)) == 2 and m[-1], what="a new run"
    )
    assert "v2" in visible_text(new_parent)
    with bot.runtime.database.session() as session:
        statuses = [r.status for r in session.scalars(select(Run).order_by(Run.id))]
    assert statuses == ["abandoned", "active"]


def test_app_home_lists_unfinished_runs_and_a_retried_event_publishes_once(bot: Bot):
    bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT)
    parent, _ = run_thread(bot)
    step_with_buttons(bot, SUPPORT, parent["ts"], 1)
    first = bot.slack.app_home_opened(MARIA)
    assert first.status == 200
    home = bot.fake.wait_for(lambda: bot.fake.home(MARIA), what="the Home tab")
    assert Action.CONTINUE_RUN in buttons(home)
    assert "Handle a refund request" in visible_text(home)
    body = json.loads(bot.slack.last[0])
    retry = bot.slack.event(body["event"], retry_num=1, event_id=body["event_id"])
    assert retry.status == 200
    assert len(bot.fake.calls_to("views.publish")) == 1


def test_a_bad_or_stale_signature_gets_401_and_changes_nothing(bot: Bot):
    bot.slack.signing_secret = "wrong-secret"
    assert bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 401
    bot.slack.signing_secret = "8f742231b10e8888abcd99yyyzzz85a5"
    bot.slack.timestamp_offset = -600
    assert bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 401
    with bot.runtime.database.session() as session:
        assert session.scalars(select(Event)).all() == []
    assert bot.fake.messages(SUPPORT) == []


def test_healthz_answers_ok(bot: Bot):
    with urllib.request.urlopen(f"{bot.server.url}/healthz", timeout=5) as response:
        assert (response.status, response.read()) == (200, b"ok")
