"""`sopbot play` starts with a month of the seeded team's history, made through the services."""

from __future__ import annotations

import logging
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.core.kpis.digest import headline
from bot.core.parse import load_sops
from bot.db.feedback import Feedback
from bot.db.sops import default_workspace
from bot.db.training import Assignment, QuizAnswer, QuizAttempt
from bot.playground import history
from bot.playground.history import ZONES
from bot.playground.wiring import Playground
from bot.services import digest as digests
from bot.slack.ids import Action
from bot.slacksim.seed import JO, OPS_MANAGERS, PRIYA, SUPPORT
from tests.conftest import SAMPLE_SOPS
from tests.e2e.conversation import buttons, visible_text

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, after the 09:00 UTC digest
UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def played(tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture) -> Playground:
    sops = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, sops)
    play = Playground(
        Settings(sops_dir=sops),
        database_url=database_url,
        port=0,
        start=START,
        watch=False,
        history=True,
    )
    with caplog.at_level(logging.INFO), play:
        yield play


def test_the_first_digest_tells_the_months_story(played: Playground, caplog):
    play, month = played, played.history
    assert month is not None and month.calls > 500 and sum(month.started.values()) > 60
    # No rough edge on the first start: nothing above INFO, history and all.
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.INFO] == []
    assert START - timedelta(seconds=5) <= play.clock() < START + timedelta(minutes=5)

    yesterday = (START - timedelta(days=1)).date()
    with play.runtime.database.session() as session:
        workspace_id = default_workspace(session).id
        report = digests.report(
            session, workspace_id=workspace_id, day=yesterday, tz=UTC_ZONE, now=play.clock()
        )
        feedback = session.scalars(select(Feedback)).all()
        missed = [
            attempt.questions[answer.position]["text"]
            for attempt, answer in session.execute(
                select(QuizAttempt, QuizAnswer)
                .join(QuizAnswer, QuizAnswer.attempt_id == QuizAttempt.id)
                .join(Assignment, Assignment.id == QuizAttempt.assignment_id)
                .where(Assignment.user_id == PRIYA, QuizAnswer.correct.is_(False))
            )
        ]
    d = report.digest
    # The headline counts exactly the runs the history started that day.
    assert d.runs == month.runs_on(yesterday, UTC_ZONE) > 0
    assert headline(d).startswith(f"{d.runs} run")
    week = sum(month.runs_on(yesterday - timedelta(days=n), UTC_ZONE) for n in range(7))
    assert d.week.total.usage.runs_started == week
    # Needs attention: the stale SOP, and the revised one its training wave left uncovered.
    why = {reason.slug: reason for reason in d.attention}
    assert {"customer-inquiry", "new-hire-onboarding"} <= set(why), d.attention
    revised = next(row for row in d.rows if row.slug == "new-hire-onboarding")
    assert set(revised.coverage.overdue) == {JO, PRIYA}  # never opened it; failed it twice
    assert revised.coverage.audience / 2 < revised.coverage.passed < revised.coverage.audience
    assert (revised.quiz.first_attempts, revised.quiz.first_attempt_passes) == (1, 0)
    assert len(set(missed)) == 1 and len(missed) == 2  # Priya: the same question, twice
    inquiry = next(row for row in d.rows if row.slug == "customer-inquiry")
    assert inquiry.usage.runs_started > 0 and inquiry.drop_off is not None
    # Searches that found nothing are the history's misses.
    recent = {q for at, q in month.misses if at.date() > yesterday - timedelta(days=7)}
    gaps = {gap.query for gap in d.week.total.content_gaps}
    assert gaps and gaps <= recent
    # Feedback in every state, one of them addressed by the onboarding SOP's second revision.
    states = {fb.status for fb in feedback}
    assert {"open", "acknowledged", "resolved", "wont_fix", "withdrawn"} <= states
    assert any(fb.anonymous and fb.author_id is None for fb in feedback)
    assert [fb.step_number for fb in feedback if fb.addressed_revision_id is not None] == [2]
    # The same digest went out to the managers in the history, with its chart in the thread.
    posted = [m for m in play.ws.channel_messages(OPS_MANAGERS) if not m.is_reply]
    last = {"text": posted[-1].text, "blocks": posted[-1].blocks}
    assert headline(d) in visible_text(last)
    play.fake.wait_for(
        lambda: any(f.filename.endswith(f"{yesterday}.png") for f in play.ws.files.values()),
        what="the digest's chart, uploaded by the first tick after the start",
    )


def test_the_last_day_shows_in_slack_and_no_quiz_button_is_stale(played: Playground):
    play, month = played, played.history
    assert month is not None
    # #support: one thread per run started there in the last day, as the running bot left it.
    since = history.shown_since(START)
    support = {slug for slug, sop in _sops(play).items() if "support" in sop.tags}
    shown = sum(n for (at, slug), n in month.started.items() if at >= since and slug in support)
    messages = [_as_dict(m) for m in play.ws.channel_messages(SUPPORT)]
    parents = [m for m in messages if m["thread_ts"] in (None, m["ts"])]
    assert 0 < shown == len(parents)
    assert all(float(m["ts"]) >= since.timestamp() for m in messages)
    done = [m for m in messages if m["text"].startswith("✅ Done · Step")]
    recent = [at for at, slug in month.completed if at >= since and slug in support]
    assert recent and len(done) > len(recent)
    assert sum("✅ Completed" in m["text"] for m in parents) == len(recent)
    # Priya's run, still open when the demo starts, waits on its step's Done button.
    open_steps = [m for m in messages if Action.STEP_DONE in buttons(m)]
    assert len(open_steps) == 1 and open_steps[0]["thread_ts"] != open_steps[0]["ts"]

    # Every quiz taken in the history was taken in its invitation DM, left at its result.
    with play.runtime.database.session() as session:
        taken = [
            (a.user_id, a.status, a.dm_channel, a.dm_ts)
            for a in session.scalars(select(Assignment).where(Assignment.attempts > 0))
        ]
    assert len(taken) > len(ZONES)
    for user_id, status, channel, ts in taken:
        assert channel is not None and ts is not None, user_id
        message = play.ws.message(channel, ts)
        assert message is not None
        assert Action.START_QUIZ not in buttons(_as_dict(message)), (user_id, message.text)
        failed = user_id == PRIYA and status == "overdue"
        assert message.text.endswith("not passed yet" if failed else "passed"), message.text


def _sops(play: Playground) -> dict:
    sops, _ = load_sops(play.settings.sops_dir)
    return {sop.slug: sop for sop in sops}


def _as_dict(message) -> dict:
    return {"ts": message.ts, "thread_ts": message.thread_ts, "text": message.text,
            "blocks": message.blocks or []}  # fmt: skip


def test_empty_starts_a_blank_workspace(tmp_path: Path):
    sops = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, sops)
    url = f"sqlite:///{tmp_path / 'play.db'}"
    with Playground(Settings(sops_dir=sops), database_url=url, port=0, start=START) as play:
        assert play.history is None
        assert play.ws.channel_messages(OPS_MANAGERS) == []
