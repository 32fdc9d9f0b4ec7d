"""Digest Block Kit: within Slack's limits with 300 SOPs, escaped, attention first, drill-down."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.kpis import AssignmentRecord, RunRecord, SopInfo, digest_from_records
from bot.services.digest_config import DigestConfig
from bot.services.sop_review import StaleNudge
from bot.slack.ids import Action
from bot.slack.kit.limits import check_message, check_view
from bot.slack.kpis import blocks, views
from bot.slacksim.blocks import message_block_problems, view_problems

EVIL = "<!channel> <@U999EVIL> & *x*"
BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 3, 28)
NOW = datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def sop(n: int, *, title: str | None = None, audience: int = 10) -> SopInfo:
    return SopInfo(
        slug=f"sop-{n:03d}",
        title=title or f"SOP number {n} " + "long " * 30,
        tags=("t",),
        review_every_days=90,
        last_revision_at=NOW - timedelta(days=10 if n % 3 else 200),
        last_reviewed_at=None,
        audience_size=audience,
        step_titles=("One", "Two"),
        current_revision=1,
    )


def passed(info: SopInfo, people: int) -> list[AssignmentRecord]:
    return [
        AssignmentRecord(
            info.slug,
            1,
            f"U{i:04d}",
            f"U{i:04d}",
            NOW - timedelta(days=5),
            "current" if i < people else "pending",
            NOW if i < people else None,
            NOW - timedelta(days=20),
        )  # fmt: skip
        for i in range(info.audience_size)
    ]


def run(n: int, info: SopInfo, status: str = "completed") -> RunRecord:
    started = datetime(2026, 3, 28, 9, 0, tzinfo=UTC) + timedelta(minutes=n)
    return RunRecord(n, info.slug, 1, f"U{n % 7}", started, started + timedelta(minutes=5),
                     status, 2, {1: 60.0, 2: 240.0}, None, True)  # fmt: skip


def digest_of(infos: list[SopInfo], coverage: int = 5):
    assignments = [a for info in infos for a in passed(info, coverage)]
    runs = [run(i, infos[i % len(infos)]) for i in range(40)]
    return digest_from_records(
        day=DAY, tz=BERLIN, now=NOW, sops=infos, runs=runs, lookups=[], assignments=assignments
    )


def dump(message: dict) -> str:
    check_message(message)
    assert message_block_problems(message["blocks"]) == []
    return json.dumps(message, ensure_ascii=False)


def test_300_sops_fit_in_50_blocks_with_attention_first_and_the_rest_counted():
    d = digest_of([sop(n) for n in range(300)])
    assert len(d.attention) == 300  # everyone's coverage is 50%
    message = blocks.digest_message(d, with_chart=True)
    text = dump(message)
    assert len(message["blocks"]) <= 50
    shown = [b for b in message["blocks"] if b["block_id"].startswith("digest-sop-")]
    assert 10 <= len(shown) < 300
    assert f"…and {300 - len(shown)} more SOPs need attention" in text
    assert shown[0]["accessory"]["action_id"] == Action.DIGEST_DETAILS
    assert shown[0]["accessory"]["value"] == d.attention[0].slug
    assert "coverage 50%" in shown[0]["text"]["text"]
    assert message["text"].startswith("Daily digest · Sat 28 Mar 2026: 40 runs, 100% completed")
    assert "chart follows in the thread" in text


def test_sops_on_track_are_counted_not_listed():
    infos = [sop(n, audience=4) for n in range(1, 40) if n % 3] + [sop(3, audience=4)]
    d = digest_of(infos, coverage=4)
    message = blocks.digest_message(d, with_chart=False)
    text = dump(message)
    assert [r.kind for r in d.attention] == ["stale"]
    assert f"And {len(infos) - 1} more SOPs on track." in text
    assert "chart" not in text


def test_titles_and_searches_are_escaped_everywhere():
    infos = [sop(n, title=EVIL * 20) for n in range(5)]
    d = digest_of(infos)
    for message in (
        blocks.digest_message(d, with_chart=True),
        blocks.kpis_message(d.week, days=7),
        blocks.sop_kpis_message(d.week.sops["sop-001"], days=7),
    ):
        text = dump(message)
        assert "<!channel>" not in text and "<@U999EVIL>" not in text
        assert "&lt;!channel&gt;" in text


def test_an_empty_day_and_no_sops_still_make_a_valid_message():
    d = digest_from_records(day=DAY, tz=BERLIN, now=NOW, sops=[], runs=[], lookups=[])
    text = dump(blocks.digest_message(d, with_chart=False))
    assert "0 runs, — completed, training coverage —" in text and "No SOPs yet." in text


def test_kpis_lists_every_sop_least_healthy_first_within_limits():
    d = digest_of([sop(n) for n in range(300)])
    message = blocks.kpis_message(d.week, days=30)
    text = dump(message)
    assert message["blocks"][0]["text"]["text"] == "KPIs — last 30 days"
    assert "more SOPs: `/sop kpis SOP` shows one" in text
    one = blocks.sop_kpis_message(d.week.sops["sop-003"], days=7)
    text = dump(one)
    assert "*Training coverage* 50% (5 of 10)" in text and "stale: last revised 200" in text
    assert "<@U0004>" not in text  # U0004 passed; pending people follow as mentions
    assert "*Pending* <@U0005>, <@U0006>" in text


def test_config_modal_round_trips_and_stays_within_view_limits():
    config = DigestConfig("C0123ABCD", time(9, 30), "America/Havana", frozenset({0, 4}), True)
    modal = views.config_modal(config)
    check_view(modal)
    assert view_problems(modal) == []
    state = {
        views.CHANNEL_BLOCK: {Action.DIGEST_CHANNEL: {"selected_conversation": "C0123ABCD"}},
        views.TIME_BLOCK: {Action.DIGEST_TIME: {"selected_time": "09:30"}},
        views.TZ_BLOCK: {Action.DIGEST_TZ: {"selected_option": {"value": "America/Havana"}}},
        views.DAYS_BLOCK: {
            Action.DIGEST_WEEKDAYS: {"selected_options": [{"value": "0"}, {"value": "4"}]}
        },
        views.OPTIONS_BLOCK: {
            Action.DIGEST_OPTIONS: {"selected_options": [{"value": views.SKIP_EMPTY}]}
        },
    }
    read = views.read_config({"state": {"values": json.loads(json.dumps(state))}})
    assert read == {"channel": "C0123ABCD", "time": "09:30", "tz": "America/Havana",
                    "weekdays": ["0", "4"], "skip_empty": True}  # fmt: skip
    check_view(views.saved_view(config))


@pytest.mark.parametrize("reviewed", [True, False])
def test_the_review_nudge_escapes_and_offers_confirm(reviewed: bool):
    nudge = StaleNudge(1, "refund", EVIL, "support/" + EVIL, "U1", NOW, reviewed, 90, 140, 1)
    message = views.stale_nudge(nudge)
    text = dump(message)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in message["text"]
    assert ("last reviewed" if reviewed else "last changed") in text
    (button,) = message["blocks"][1]["elements"]
    assert (button["action_id"], button["value"]) == (Action.REVIEW_CONFIRM, "refund")
    done = views.review_confirmed(slug="refund", title=EVIL, by="U1", at=NOW)
    assert "<@U1>" in dump(done) and "<!channel>" not in dump(done)
