"""The App Home tab."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import Block

from bot.slack.home.blocks import home_view
from bot.slack.ids import Action
from bot.slack.kit.blocks import mrkdwn
from bot.slack.kit.cards import RunCard, SopCard
from bot.slack.kit.limits import check_view

EVIL = "<!channel> <!here> <@U999EVIL> & *x*"
REFUND = SopCard("refund-request", "Handle a refund request", 3, 7, ("support",))
RUN = RunCard(run_id=12, slug="refund-request", title="Handle a refund request",
              step_number=3, step_count=7, revision=3)  # fmt: skip


def valid(view: dict) -> str:
    check_view(view)
    for block in view["blocks"]:
        Block.parse(block).validate_json()
    return json.dumps(view, ensure_ascii=False)


def accessories(view: dict) -> list[tuple[str, str]]:
    return [(b["accessory"]["action_id"], b["accessory"]["value"])
            for b in view["blocks"] if "accessory" in b]  # fmt: skip


def test_home_lists_runs_then_sops():
    view = home_view(unfinished=[RUN], sops=[REFUND])
    valid(view)
    assert view["type"] == "home"
    assert view["blocks"][0] == {
        "type": "header",
        "block_id": "home-title",
        "text": {"type": "plain_text", "text": "SOPs", "emoji": True},
    }
    assert "Type `/sop refund` anywhere" in view["blocks"][1]["text"]["text"]
    ids = [b["block_id"] for b in view["blocks"]]
    assert ids.index("home-runs") < ids.index("home-run-0") < ids.index("home-sops")
    assert accessories(view) == [(Action.CONTINUE_RUN, "12"), (Action.START_SOP, "refund-request")]


def test_empty_home_says_nothing_is_published():
    view = home_view(unfinished=[], sops=[])
    assert "home-runs" not in [b["block_id"] for b in view["blocks"]]
    assert "No SOPs are published yet." in valid(view)


def test_300_sops_and_many_runs_stay_within_100_blocks():
    sops = [SopCard(f"sop-{i}", "T" * 500, 1, 3, (), "outcome " * 100) for i in range(300)]
    runs = [RunCard(i, f"sop-{i}", "T" * 500, 1, 3, 1) for i in range(60)]
    view = home_view(unfinished=runs, sops=sops)
    dump = valid(view)
    assert len(view["blocks"]) <= 100
    assert dump.count("…and ") == 2


def test_extra_sections_fit_or_are_left_out_whole():
    extra = [{"type": "section", "block_id": "training-0", "text": mrkdwn("x")}]
    big = [{"type": "section", "block_id": f"big-{i}", "text": mrkdwn("y")} for i in range(90)]
    view = home_view(unfinished=[RUN], sops=[REFUND], sections=[extra, big, []])
    valid(view)
    ids = [b["block_id"] for b in view["blocks"]]
    assert "training-0" in ids and "big-0" not in ids


def test_hostile_cards_cannot_ping():
    card = SopCard("evil", EVIL * 10, 1, 1, (EVIL,), EVIL)
    run = RunCard(1, "evil", EVIL * 10, 1, 2, 1)
    dump = valid(home_view(unfinished=[run] * 20, sops=[card] * 50))
    assert "<!channel>" not in dump and "<!here>" not in dump and "<@U999EVIL>" not in dump
