"""A dead database: people are told so within Slack's 3 seconds, and /readyz says 503 quickly.

The bot talks to PostgreSQL through a TCP proxy that the tests cut, so its connections drop
and new ones are never answered, as when the database host is gone.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.slack.guard.unavailable import DATABASE_DOWN
from bot.slack.ids import Action
from bot.slacksim import FakeSlack
from bot.slacksim.seed import MARIA, PRIYA, SUPPORT
from tests.e2e.conftest import Bot, running_bot
from tests.e2e.conversation import visible_text
from tests.e2e.feedback_helpers import choose_sop, open_form
from tests.e2e.raw_http import get
from tests.e2e.tcp_proxy import TcpProxy

# Slack's window for an ack and for a person to see an answer at all.
SLACK_WINDOW = 3.0


@pytest.fixture
def proxy(database_url: str) -> Iterator[TcpProxy]:
    if not database_url.startswith("postgresql"):
        pytest.skip("a database across a network is PostgreSQL")
    url = make_url(database_url)
    with TcpProxy((url.host or "127.0.0.1", url.port or 5432)) as proxy:
        yield proxy


@pytest.fixture
def bot(fake: FakeSlack, database_url: str, proxy: TcpProxy, tmp_path: Path) -> Iterator[Bot]:
    url = make_url(database_url).set(host="127.0.0.1", port=proxy.port)
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    proxied = url.render_as_string(hide_password=False)
    with running_bot(fake, proxied, tmp_path / "sops", start=start) as running:
        yield running


def test_readyz_answers_503_quickly_and_200_once_the_database_is_back(bot: Bot, proxy: TcpProxy):
    assert get(f"{bot.server.url}/readyz", timeout=5) == (200, b"ready")
    proxy.cut()
    started = time.monotonic()
    status, body = get(f"{bot.server.url}/readyz", timeout=10)
    assert (status, time.monotonic() - started < SLACK_WINDOW) == (503, True)
    assert body.startswith(b"database unavailable")
    proxy.heal()
    bot.fake.wait_for(
        lambda: get(f"{bot.server.url}/readyz", timeout=5) == (200, b"ready"), what="ready again"
    )


def test_healthz_stays_alive_without_touching_the_database(bot: Bot, proxy: TcpProxy):
    # Liveness: an orchestrator that restarts on it must not restart every process during an
    # outage that a restart cannot fix.
    proxy.cut()
    assert get(f"{bot.server.url}/healthz", timeout=10) == (200, b"ok")


def test_a_command_is_answered_with_the_database_message_in_time(
    bot: Bot, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    proxy.cut()
    started = time.monotonic()
    assert bot.slack.command(MARIA, "/sop", "refund", channel=SUPPORT).acked_in_time
    answer = bot.fake.wait_for(
        lambda: bot.fake.ephemerals(MARIA), timeout=SLACK_WINDOW, what="an answer"
    )
    assert time.monotonic() - started < SLACK_WINDOW
    assert DATABASE_DOWN in visible_text(answer[-1])
    # One line saying what happened; no traceback for an outage that is not a bug.
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


def test_a_modal_submission_shows_the_database_message_under_its_field(bot: Bot, proxy: TcpProxy):
    form = choose_sop(bot, PRIYA, open_form(bot, PRIYA), "refund-request", "refund")
    values = {"fb-sop": "refund-request", Action.FEEDBACK_STEP: "2", "fb-text": "Link is dead"}
    proxy.cut()
    submitted = bot.slack.submit_view(PRIYA, form, values)
    assert (submitted.outcome, submitted.acked_in_time) == ("errors", True)
    assert DATABASE_DOWN in bot.fake.view_errors(form["id"]).values()


def test_an_event_is_refused_in_time_so_slack_delivers_it_again(bot: Bot, proxy: TcpProxy):
    proxy.cut()
    response = bot.slack.app_home_opened(MARIA)
    assert response.status >= 500 and response.elapsed < SLACK_WINDOW
