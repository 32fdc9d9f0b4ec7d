"""A real `sopbot run` hands its after-ack work to a child process, and survives losing it."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from bot.slacksim import FakeSlack
from bot.slacksim.driver import SlackDriver
from bot.slacksim.seed import MARIA, PRIYA, SUPPORT
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.conversation import visible_text
from tests.e2e.processes import Sopbot, sopbot_env, start_sopbot, wait_ready

RESTARTING = "sopbot restarted before it got to this"


def runs_started(fake: FakeSlack) -> list[dict]:
    return [m for m in fake.messages(SUPPORT) if "Handle a refund request" in visible_text(m)]


def child_pid(bot: Sopbot) -> int:
    found = re.search(r"after-ack work runs in process (\d+)", bot.log())
    assert found, bot.log()[-3000:]
    return int(found[1])


def start(fake: FakeSlack, database_url: str, tmp_path: Path, **env: str) -> Sopbot:
    env = sopbot_env(fake, database_url, **env)
    bot = start_sopbot(["run", "--no-worker"], env, tmp_path, name="run")
    wait_ready(bot)
    return bot


def test_the_work_after_the_ack_runs_in_the_child(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    bot = start(fake, database_url, tmp_path, WORK_PROCESS="1")
    try:
        pid = child_pid(bot)
        assert pid != bot.process.pid
        # Acks first: the child yields the cores to the web process.
        parent = os.getpriority(os.PRIO_PROCESS, bot.process.pid)
        assert os.getpriority(os.PRIO_PROCESS, pid) == min(19, parent + 10)
        assert os.sched_getscheduler(pid) == os.SCHED_BATCH
        slack = SlackDriver(fake, f"{bot.url}/slack/events", SIGNING_SECRET)
        os.kill(pid, signal.SIGSTOP)  # the child holds still: the parent still acks
        try:
            assert slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 200
            with pytest.raises(TimeoutError):
                fake.wait_for(lambda: runs_started(fake), timeout=1.5, what="a run while stopped")
        finally:
            os.kill(pid, signal.SIGCONT)
        fake.wait_for(lambda: runs_started(fake), what="the run, once the child goes on")
        assert len(runs_started(fake)) == 1
        assert bot.terminate() == 0, bot.log()[-3000:]
    finally:
        bot.kill()
    with pytest.raises(ProcessLookupError):  # the child ended with its parent
        os.kill(pid, 0)


def test_a_dead_child_hands_its_work_back_and_the_parent_takes_over(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    bot = start(fake, database_url, tmp_path, WORK_PROCESS="1")
    try:
        pid = child_pid(bot)
        slack = SlackDriver(fake, f"{bot.url}/slack/events", SIGNING_SECRET)
        os.kill(pid, signal.SIGSTOP)
        assert slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 200
        os.kill(pid, signal.SIGKILL)  # dies holding Maria's command
        fake.wait_for(
            lambda: any(RESTARTING in visible_text(m) for m in fake.ephemerals(MARIA)),
            what="Maria told to try again",
        )
        assert runs_started(fake) == []
        ended = "the work process ended (exit code -9) with 1 pieces of work unfinished"
        assert ended in bot.log()
        # From now on the parent does the work itself.
        assert slack.command(PRIYA, "/sop", "refund", channel=SUPPORT).status == 200
        fake.wait_for(lambda: runs_started(fake), what="Priya's run, done by the parent")
        assert bot.terminate() == 0, bot.log()[-3000:]
    finally:
        bot.kill()


def test_work_process_off_keeps_the_work_in_one_process(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    bot = start(fake, database_url, tmp_path, WORK_PROCESS="0")
    try:
        slack = SlackDriver(fake, f"{bot.url}/slack/events", SIGNING_SECRET)
        assert slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 200
        fake.wait_for(lambda: runs_started(fake), what="the run")
        assert "after-ack work runs in process" not in bot.log()
        assert bot.terminate() == 0, bot.log()[-3000:]
    finally:
        bot.kill()
