"""Whatever an SOP holds, Slack accepts every message and nobody gets pinged."""

from __future__ import annotations

import json

from bot.slack.ids import Action
from bot.slacksim.seed import MARIA, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, run_thread

PARAGRAPH = (
    "Check the customer's order history, payment method and any earlier refunds "
    "before you decide anything; note what you found in the ticket. "
) * 6

HOSTILE = f"""---
id: hostile-epic
owner: U01SAMLEAD
---
# Escalate <!channel> an {"epic " * 20}incident

## Steps
### Wake everyone <!here> and <@U01SAMLEAD> <!subteam^S01MANAGER|@managers>
Role-free step with a link [click](http://x|<!everyone>) and `<!channel>` in code.
> "Say <!channel> out loud"

### Read the whole manual
{chr(10).join([PARAGRAPH] * 60)}

### Close
Done.
"""


def test_a_huge_hostile_sop_is_split_within_limits_and_pings_nobody(bot: Bot):
    (bot.sops_dir / "hostile.md").write_text(HOSTILE)
    bot.publish()
    bot.slack.command(MARIA, "/sop", "hostile-epic", channel=SUPPORT)
    parent, _ = run_thread(bot)
    first = bot.fake.wait_for(
        lambda: next(
            (
                m
                for m in bot.fake.thread(SUPPORT, parent["ts"])[1:]
                if Action.STEP_DONE in buttons(m)
            ),
            None,
        ),
        what="step 1",
    )
    bot.slack.click(MARIA, first, Action.STEP_DONE)
    # Step 2 is ~60 paragraphs: it continues over several messages, buttons on the last only.
    last = bot.fake.wait_for(
        lambda: next(
            (
                m
                for m in bot.fake.thread(SUPPORT, parent["ts"])[2:]
                if Action.STEP_DONE in buttons(m)
            ),
            None,
        ),
        what="step 2's buttons",
    )
    replies = bot.fake.thread(SUPPORT, parent["ts"])[1:]
    step_two = replies[1:]
    assert len(step_two) >= 2
    assert [Action.STEP_DONE in buttons(m) for m in step_two] == [False] * (len(step_two) - 1) + [
        True
    ]
    assert last["ts"] == step_two[-1]["ts"]
    for message in bot.fake.thread(SUPPORT, parent["ts"]):
        assert len(message["blocks"]) <= 50
        raw = json.dumps(message)
        for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U01SAMLEAD>", "<!subteam^"):
            assert ping not in raw
    assert [c.method for c in bot.fake.calls if not c.ok] == []
