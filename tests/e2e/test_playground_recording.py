"""The playground records an SOP: steps typed in the thread, finished, published by Sam."""

from __future__ import annotations

import html
import re

from bot.playground.wiring import Playground
from bot.slack.ids import Action
from bot.slacksim.seed import SAM, SUPPORT
from tests.e2e.conversation import buttons
from tests.e2e.playground_fixtures import (  # noqa: F401 - fixtures are used by name
    PageClient,
    page,
    play,
)


def shown_text(fragment: str) -> str:
    """The words a person reads in an HTML fragment, one space apart."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def with_button(playground: Playground, ts: str, action: Action) -> dict:
    return playground.fake.wait_for(
        lambda: next(
            (m for m in playground.fake.thread(SUPPORT, ts) if buttons(m).get(action, "0") != "0"),
            None,
        ),
        what=f"a message with {action}",
    )


def test_maria_records_sam_publishes_and_the_file_and_preview_follow(
    play: Playground,  # noqa: F811 - the fixture
    page: PageClient,  # noqa: F811
):
    page.post("send", view=SUPPORT, text="/sop record Close the till")
    page.wait_state(
        lambda s: "Recording Close the till :" in shown_text(s["main"]),
        what="the recording",
        view=SUPPORT,
    )
    parent = play.fake.messages(SUPPORT)[-1]
    parent = with_button(play, parent["ts"], Action.RECORD_FINISH)
    # Each jump of the page's clock lets one more minute pass (SETTLE_SECONDS): 3+1, 5+1.
    for minutes, text in ((3, "Count the notes\nRole: Cashier\n> Closing now!"), (5, "Lock up")):
        page.post("advance", seconds=minutes * 60)
        page.post("send", view=SUPPORT, text=text, thread_ts=parent["ts"])
    thread = page.wait_state(
        lambda s: "Step 2 recorded (6 min after step 1)" in shown_text(s["thread"]),
        what="the steps recorded",
        view=SUPPORT,
        thread=parent["ts"],
    )["thread"]
    assert "Step 1 recorded (4 min after you started)" in shown_text(thread)
    value = buttons(parent)[Action.RECORD_FINISH]
    page.post("click", source=parent["ts"], action_id=Action.RECORD_FINISH, value=value)
    done = with_button(play, parent["ts"], Action.RECORD_PUBLISH)
    page.post("user", user=SAM)
    page.post(
        "click",
        source=done["ts"],
        action_id=Action.RECORD_PUBLISH,
        value=buttons(done)[Action.RECORD_PUBLISH],
    )
    path = play.settings.sops_dir / "close-the-till.md"
    play.fake.wait_for(lambda: path.exists(), what="the file in SOPS_DIR")
    text = path.read_text()
    assert "Role: Cashier" in text and "Time: 4m" in text and "Time: 6m" in text
    assert "> Closing now!" in text
    state = page.wait_state(
        lambda s: "Close the till" in shown_text(s["main"]), what="the preview", view="preview"
    )
    assert "Close the till (v1)" in shown_text(state["main"])
