"""Answers to `/sop`: help, pick lists, misses, the full list, offers and notices."""

from __future__ import annotations

import json
import re

import pytest
from slack_sdk.models.blocks import Block

from bot.slack.ids import Action
from bot.slack.kit import notices
from bot.slack.kit.cards import RunCard, SopCard
from bot.slack.kit.limits import check_message
from bot.slack.lookup import blocks as lookup
from bot.slack.runs import blocks as run_blocks

EVIL = "<!channel> <!here> <@U999EVIL> & *x* `y`"
REFUND = SopCard("refund-request", "Handle a refund request", 3, 7, ("support", "billing"),
                 "The customer has their money **back**.")  # fmt: skip
ONBOARD = SopCard("onboarding", "Onboard a new hire", 1, 5, ())
RUN = RunCard(run_id=12, slug="refund-request", title="Handle a refund request",
              step_number=3, step_count=7, revision=3)  # fmt: skip


def valid(message: dict) -> str:
    check_message(message)
    for block in message["blocks"]:
        Block.parse(block).validate_json()
    return json.dumps(message, ensure_ascii=False)


def md(text: str) -> dict:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def btn(label: str, action_id: str, value: str, **extra: object) -> dict:
    text = {"type": "plain_text", "text": label, "emoji": True}
    return {"type": "button", "text": text, "action_id": action_id, "value": value, **extra}


def many_sops(count: int, *, tags: int = 40, title: str = "SOP") -> list[SopCard]:
    return [
        SopCard(f"sop-{i}", f"{title} {i}", i % 9 + 1, i % 20 + 1,
                tuple(f"tag-{(i + k) % tags}" for k in range(i % 3)), "Outcome " * 40)
        for i in range(count)
    ]  # fmt: skip


def accessories(message: dict) -> list[tuple[str, str]]:
    return [
        (b["accessory"]["action_id"], b["accessory"]["value"])
        for b in message["blocks"]
        if "accessory" in b
    ]


def test_golden_help_message():
    message = lookup.help_message(sops=[REFUND, ONBOARD], unfinished=[RUN])
    assert message == {
        "text": "How to find and follow an SOP with /sop",
        "blocks": [
            {"type": "section", "block_id": "help-usage", "text": md(lookup.USAGE)},
            {"type": "section", "block_id": "help-runs", "text": md("*Your unfinished runs*")},
            {"type": "section", "block_id": "run-0",
             "text": md("*Handle a refund request* — step 3 of 7 · v3"),
             "accessory": btn("Continue", "run.continue", "12", style="primary")},
            {"type": "section", "block_id": "help-sops", "text": md("*SOPs*")},
            {"type": "section", "block_id": "sop-0",
             "text": md("*Handle a refund request*\n`refund-request` · v3 · 7 steps\n"
                        "The customer has their money *back*."),
             "accessory": btn("Start", "sop.start", "refund-request")},
            {"type": "section", "block_id": "sop-1",
             "text": md("*Onboard a new hire*\n`onboarding` · v1 · 5 steps"),
             "accessory": btn("Start", "sop.start", "onboarding")},
        ],
    }  # fmt: skip
    valid(message)
    usage = lookup.USAGE
    assert all(cmd in usage for cmd in ("/sop QUERY", "/sop list", "/sop help", "/feedback"))


def test_help_adds_the_manager_and_admin_commands_only_when_asked():
    def usage(**roles: bool) -> str:
        return valid(lookup.help_message(sops=[REFUND], unfinished=[], **roles))

    staff, manager = usage(), usage(manager=True)
    admin, both = usage(admin=True), usage(manager=True, admin=True)
    assert "/sop training" in staff and "/sop kpis" not in staff and "/sop config" not in staff
    assert "/sop kpis [SOP] [7d|30d]" in manager and "/sop config" not in manager
    assert "/sop config" in admin and "/sop kpis" not in admin
    assert "/sop kpis" in both and "/sop config" in both


def test_help_shows_at_most_ten_sops_and_says_how_many_more():
    message = lookup.help_message(sops=many_sops(300), unfinished=[RUN] * 30)
    dump = valid(message)
    starts = [a for a in accessories(message) if a[0] == Action.START_SOP]
    assert len(starts) <= 10
    assert "more." in dump and "/sop list" in dump


def test_help_without_sops():
    message = lookup.help_message(sops=[], unfinished=[])
    assert "No SOPs are published yet." in valid(message)


def test_pick_list_offers_continue_where_a_run_is_open():
    message = lookup.pick_list(query="refund", hits=[REFUND, ONBOARD], unfinished=[RUN])
    valid(message)
    assert message["blocks"][0]["text"]["text"] == "Several SOPs match “refund”:"
    assert accessories(message) == [(Action.CONTINUE_RUN, "12"), (Action.START_SOP, "onboarding")]


def test_pick_list_of_many_hits_stays_within_limits():
    message = lookup.pick_list(query="x", hits=many_sops(300, title="T" * 500), unfinished=[])
    valid(message)
    assert len(accessories(message)) <= 10


def test_no_match_escapes_and_truncates_the_query():
    query = EVIL + " padding" * 100
    message = lookup.no_match(query=query, closest=[REFUND])
    dump = valid(message)
    for ping in ("<!channel>", "<!here>", "<@U999EVIL>"):
        assert ping not in dump
    intro = message["blocks"][0]["text"]["text"]
    assert intro.startswith("No SOP matches “&lt;!channel&gt; &lt;!here&gt;")
    assert len(intro) < 160
    assert accessories(message) == [(Action.START_SOP, "refund-request")]
    assert "/sop list" in dump


def test_no_match_without_closest_titles():
    message = lookup.no_match(query="zzz", closest=[])
    assert [b["block_id"] for b in message["blocks"]] == ["nomatch-intro", "nomatch-hint"]
    valid(message)


def test_sop_list_groups_by_tag_with_untagged_last():
    message = lookup.sop_list(sops=[ONBOARD, REFUND])
    valid(message)
    texts = [b["text"]["text"] for b in message["blocks"]]
    assert texts == [
        "*Every SOP* (2)",
        "*billing*\n• *Handle a refund request* — `refund-request` · v3 · 7 steps",
        "*support*\n• *Handle a refund request* — `refund-request` · v3 · 7 steps",
        "*Other*\n• *Onboard a new hire* — `onboarding` · v1 · 5 steps",
    ]


@pytest.mark.parametrize("tags", [1, 40, 300])
def test_sop_list_of_300_sops_stays_within_limits(tags: int):
    sops = many_sops(300, tags=tags, title="Quite a long title for an SOP")
    message = lookup.sop_list(sops=sops)
    dump = valid(message)
    more = re.search(r"…and (\d+) more", dump)
    shown = {slug for slug in re.findall(r"`(sop-\d+)`", dump)}
    assert more is not None and len(shown) + int(more.group(1)) == 300
    # No tag heading is left without an SOP under it.
    for block in message["blocks"][1:-1]:
        assert not block["text"]["text"].rstrip().endswith("*")


def test_sop_list_with_hostile_titles_and_tags():
    sops = [SopCard(f"s-{i}", EVIL * 20, 1, 1, (EVIL,)) for i in range(50)]
    dump = valid(lookup.sop_list(sops=sops))
    assert "<!channel>" not in dump and "<@U999EVIL>" not in dump


def test_golden_unfinished_offer():
    message = lookup.unfinished_offer(run=RUN)
    assert message == {
        "text": "You have an unfinished run of Handle a refund request",
        "blocks": [
            {"type": "section", "block_id": "offer",
             "text": md("You have an unfinished run of *Handle a refund request* (step 3 of 7).")},
            {"type": "actions", "block_id": "offer-actions", "elements": [
                btn("Continue", "run.continue", "12", style="primary"),
                btn("Start over", "sop.start_over", "refund-request"),
            ]},
        ],
    }  # fmt: skip
    valid(message)


def test_not_your_run():
    message = run_blocks.not_your_run(owner_id="U0OWNER", slug="refund-request")
    assert message["blocks"][0]["text"]["text"] == (
        "This run belongs to <@U0OWNER>; start your own with `/sop refund-request`."
    )
    assert "<@" not in message["text"]
    valid(message)
    with pytest.raises(ValueError):
        run_blocks.not_your_run(owner_id="<!channel>", slug="x")


def test_notice_trusts_its_mrkdwn_and_plain_notice_escapes():
    assert notices.notice("Go to <#C123>")["blocks"][0]["text"]["text"] == "Go to <#C123>"
    plain = notices.plain_notice(f"{EVIL} " * 200)
    dump = valid(plain)
    assert "<!channel>" not in dump and len(plain["blocks"][0]["text"]["text"]) <= 3000


def test_everything_escapes_hostile_cards():
    card = SopCard("evil", EVIL * 30, 1, 1, (EVIL,), EVIL * 30)
    run = RunCard(1, "evil", EVIL * 30, 1, 2, 1)
    out = [
        lookup.help_message(sops=[card] * 12, unfinished=[run] * 12),
        lookup.pick_list(query=EVIL, hits=[card] * 12, unfinished=[run]),
        lookup.no_match(query=EVIL, closest=[card] * 6),
        lookup.unfinished_offer(run=run),
    ]
    for message in out:
        dump = valid(message)
        assert "<!channel>" not in dump and "<@U999EVIL>" not in dump and "<!here>" not in dump
