"""LOG_FORMAT=json from a real `sopbot run -v`: every line JSON, no bodies, feedback or search."""

from __future__ import annotations

import json
from pathlib import Path

from bot.slacksim import FakeSlack
from bot.slacksim.driver import SlackDriver
from bot.slacksim.seed import MARIA, PRIYA, SUPPORT
from tests.e2e.conftest import SIGNING_SECRET
from tests.e2e.processes import sopbot_env, start_sopbot, wait_ready

SEARCH = "zzqx-unfindable-words"
FEEDBACK = "the approval link is dead zzqx-feedback"
STEP_SCRIPT = "Thanks for reaching out"  # what the refund SOP's first step has the agent say


def test_json_lines_carry_the_request_context_and_no_text_people_wrote(
    fake: FakeSlack, database_url: str, tmp_path: Path
):
    env = sopbot_env(fake, database_url, LOG_FORMAT="json")
    bot = start_sopbot(["-v", "run"], env, tmp_path, name="run")
    try:
        wait_ready(bot)
        slack = SlackDriver(fake, f"{bot.url}/slack/events", SIGNING_SECRET)
        assert slack.command(MARIA, "/sop", SEARCH, channel=SUPPORT).status == 200
        assert slack.command(PRIYA, "/feedback", f"refund 3 {FEEDBACK}").status == 200
        assert slack.command(MARIA, "/sop", "refund", channel=SUPPORT).status == 200
        fake.wait_for(lambda: len(fake.ephemerals(PRIYA)) >= 1, what="feedback answered")
        fake.wait_for(
            lambda: any(STEP_SCRIPT in str(c.args) for c in fake.calls_to("chat.postMessage")),
            what="the run's first step",
        )
        assert bot.terminate() == 0
    finally:
        bot.kill()

    lines = bot.log().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    acked = [e for e in entries if e["message"].startswith("command acknowledged")]
    assert len(acked) == 3
    assert all(e["kind"] == "command" and len(e["request_id"]) == 12 for e in acked)
    assert len({e["request_id"] for e in acked}) == 3
    log = bot.log()
    for secret in (SEARCH, "zzqx-feedback", STEP_SCRIPT):
        assert secret not in log
