"""The playground's scheduled sample SOP fires in #ops when the clock is moved, once."""

from __future__ import annotations

from bot.playground.wiring import Playground
from bot.slack.ids import Action
from bot.slacksim.seed import OPS, TOM
from tests.e2e.conversation import buttons, visible_text
from tests.e2e.playground_fixtures import (  # noqa: F401 - fixtures are used by name
    PageClient,
    page,
    play,
)


def scheduled(play: Playground) -> list[dict]:  # noqa: F811
    return [m for m in play.fake.messages(OPS) if "Scheduled: Open the day" in visible_text(m)]


def test_moving_the_clock_to_nine_posts_open_the_day_once_and_tom_takes_it(
    play: Playground,  # noqa: F811
    page: PageClient,  # noqa: F811
):
    assert scheduled(play) == []  # 08:30
    answer = page.post("advance", seconds=1800)  # 09:00 UTC, the samples' zone
    assert "scheduled-runs" in answer["ran"]
    (post,) = scheduled(play)
    assert "due by 10:00" in visible_text(post)
    page.post("advance", seconds=600)
    assert len(scheduled(play)) == 1
    page.post("user", user=TOM)
    page.post(
        "click", source=post["ts"], action_id=Action.TAKE_RUN, value=buttons(post)[Action.TAKE_RUN]
    )
    play.fake.wait_for(
        lambda: any("Step 1 of 5" in visible_text(r) for r in play.fake.thread(OPS, post["ts"])),
        what="step 1 in the thread",
    )
