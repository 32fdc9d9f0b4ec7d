"""Helpers for the scheduled-run tests: a scheduled SOP, the tick, and what it posted."""

from __future__ import annotations

from bot.jobs import scheduled as scheduled_jobs
from bot.slack.ids import Action
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, deliver, visible_text

# Every day at 21:00 in Berlin (20:00 UTC in winter), due 30 minutes later, in #ops.
CLOSE_TILL = """---
id: close-till
owner: U01SAMLEAD
schedule: ["every day 21:00 #ops"]
timezone: Europe/Berlin
due: 30m
managers: "#leads"
---
# Close the till

## Steps
### Count the cash
Count it twice.

### Lock the safe
Lock it.
"""


def add_close_till(bot: Bot, text: str = CLOSE_TILL) -> None:
    """Write the scheduled SOP into the bot's folder and publish it."""
    (bot.sops_dir / "close-till.md").write_text(text)
    bot.publish()


def tick(bot: Bot) -> list[str]:
    """One scheduled-runs tick as the scheduler runs it, then the outbox; what it did to
    close-till (the samples' own scheduled SOP fires too)."""
    done = scheduled_jobs.tick(bot.job_context)
    deliver(bot)
    return [d for d in done if d.startswith("close-till@")]


def scheduled_posts(bot: Bot, channel: str) -> list[dict]:
    """The top-level "Scheduled:" messages in `channel`."""
    return [m for m in bot.fake.messages(channel) if "Scheduled:" in visible_text(m)]


def take(bot: Bot, user: str, message: dict) -> None:
    """`user` presses Take this run."""
    assert Action.TAKE_RUN in buttons(message)
    assert bot.slack.click(user, message, Action.TAKE_RUN).status == 200


def finish(bot: Bot, user: str, channel: str, parent_ts: str, steps: int = 2) -> None:
    """`user` presses Done on every step of the run in the thread."""
    for number in range(1, steps + 1):
        step = bot.fake.wait_for(
            lambda n=number: next(
                (
                    r
                    for r in bot.fake.thread(channel, parent_ts)[1:]
                    if f"Step {n} of {steps}" in visible_text(r) and Action.STEP_DONE in buttons(r)
                ),
                None,
            ),
            what=f"step {number} with its Done button",
        )
        assert bot.slack.click(user, step, Action.STEP_DONE).status == 200
    bot.fake.wait_for(
        lambda: any("Finished" in visible_text(r) for r in bot.fake.thread(channel, parent_ts)),
        what="the run's summary",
    )
