"""Text splitting, truncation, message chunking and the limit checks themselves."""

from __future__ import annotations

import random

import pytest

from bot.slack.kit.limits import (
    ELLIPSIS,
    block_chars,
    check_message,
    check_verbatim,
    check_view,
    chunk_messages,
    excerpt,
    fitting,
    split_text,
    truncate,
)
from bot.slack.outgoing import guard_outgoing, guard_view


def section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def words_of(chunks: list[str]) -> list[str]:
    return " ".join(chunks).split()


# split_text


def test_short_text_is_one_chunk_and_empty_text_none():
    assert split_text("hello", 10) == ["hello"]
    assert split_text("", 10) == []


def test_splits_at_paragraphs_first():
    text = "aaaa bbbb\n\ncccc dddd\n\neeee"
    assert split_text(text, 20) == ["aaaa bbbb\n\ncccc dddd", "eeee"]


def test_splits_at_lines_inside_a_paragraph_too_long_for_one_chunk():
    text = "short\n\n" + "line one\nline two\nline three"
    assert split_text(text, 20) == ["short", "line one\nline two", "line three"]


def test_splits_at_words_when_a_line_is_too_long():
    text = "alpha beta gamma delta epsilon"
    chunks = split_text(text, 12)
    assert chunks == ["alpha beta", "gamma delta", "epsilon"]


def test_cuts_a_word_only_when_it_alone_is_over_the_limit():
    chunks = split_text("ab " + "x" * 25 + " cd", 10)
    assert all(len(c) <= 10 for c in chunks)
    assert "".join(chunks).replace(" ", "") == "ab" + "x" * 25 + "cd"
    assert chunks[0] == "ab"


def test_never_cuts_an_entity_when_cutting_a_long_word():
    chunks = split_text("&amp;" * 10, 12)
    assert all(len(c) <= 12 for c in chunks)
    assert all(c.count("&") == c.count("&amp;") for c in chunks)


def test_keeps_a_code_fence_whole_when_it_fits_in_a_chunk():
    fence = "```\nline 1\n\nline 2\n```"
    text = "intro " * 5 + "\n\n" + fence + "\n\nafter"
    chunks = split_text(text, 40)
    assert any(fence in chunk for chunk in chunks)


def test_a_code_fence_too_big_is_closed_and_reopened():
    code = "\n".join(f"code line {i}" for i in range(40))
    text = f"Before.\n\n```\n{code}\n```\n\nAfter."
    chunks = split_text(text, 120)
    assert all(len(c) <= 120 for c in chunks)
    fenced = [c for c in chunks if "code line" in c]
    assert len(fenced) > 1
    for chunk in fenced:
        lines = chunk.split("\n")
        assert lines[0] == "```" and lines.count("```") == 2
    inner = [line for c in fenced for line in c.split("\n") if line.startswith("code")]
    assert inner == code.split("\n")
    assert chunks[0] == "Before." and chunks[-1].endswith("```\n\nAfter.")


def test_a_quoted_code_fence_is_reopened_inside_the_quote():
    code = "\n".join(f"> code line {i}" for i in range(30))
    chunks = split_text(f"> ```\n{code}\n> ```", 100)
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.startswith("> ```\n") and chunk.endswith("\n> ```")


@pytest.mark.parametrize("seed", range(20))
def test_random_text_always_fits_and_keeps_every_word(seed: int):
    rng = random.Random(seed)
    vocab = ["a", "word", "longer-word", "&amp;", "```", "\n", "\n\n", "x" * 40, "*b*", "> q"]
    text = " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 400)))
    limit = rng.randint(60, 300)
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    # Fences may gain a closing/reopening marker; everything else comes out in order.
    kept = [w for w in words_of(chunks) if w != "```"]
    assert kept == [w for w in text.split() if w != "```"]


# truncate and excerpt


def test_truncate_adds_an_ellipsis_only_when_needed():
    assert truncate("hello", 5) == "hello"
    assert truncate("hello world", 8) == "hello w" + ELLIPSIS
    assert len(truncate("x" * 500, 150)) == 150


def test_truncate_never_cuts_an_entity_or_a_link():
    assert truncate("a &amp; b", 5) == "a" + ELLIPSIS
    assert truncate("see <https://x.example/a|the page> now", 12) == "see" + ELLIPSIS


def test_excerpt_keeps_whole_paragraphs():
    text = "First paragraph.\n\n" + "Second " * 50
    assert excerpt(text, 60) == "First paragraph.\n" + ELLIPSIS
    assert excerpt("Short.", 60) == "Short."


# chunk_messages


def test_chunk_messages_respects_the_block_count():
    blocks = [section(f"b{i}", f"id-{i}") for i in range(120)]
    messages = chunk_messages(blocks, text="fallback")
    assert [len(m["blocks"]) for m in messages] == [50, 50, 20]
    assert all(m["text"] == "fallback" for m in messages)


def test_chunk_messages_respects_the_character_budget():
    blocks = [section("x" * 3000, f"id-{i}") for i in range(8)]
    messages = chunk_messages(blocks, text="fallback")
    assert [len(m["blocks"]) for m in messages] == [3, 3, 2]
    assert all(block_chars(m["blocks"]) <= 11_000 for m in messages)
    for message in messages:
        check_message(message)


def test_fitting_counts_whole_groups_within_blocks_and_characters():
    groups = [[section("x" * 100, f"a{i}"), section("y", f"b{i}")] for i in range(30)]
    assert fitting(groups, blocks=10) == 5  # 2 blocks each, never half a group
    assert fitting(groups, blocks=11) == 5
    assert fitting(groups, chars=350) == 3  # 101 characters a group
    assert fitting(groups) == 25 and fitting(groups[:3]) == 3 and fitting([]) == 0


def test_chunk_messages_of_nothing_is_one_text_message():
    assert chunk_messages([], text="hi") == [{"text": "hi", "blocks": []}]


# check_message / check_view

BAD_MESSAGES = {
    "no fallback": {"blocks": [section("x")]},
    "blank fallback": {"text": " ", "blocks": []},
    "too many blocks": {"text": "t", "blocks": [section("x", f"b{i}") for i in range(51)]},
    "long section": {"text": "t", "blocks": [section("x" * 3001)]},
    "empty section": {"text": "t", "blocks": [section("")]},
    "duplicate block_id": {"text": "t", "blocks": [section("a", "same"), section("b", "same")]},
    "long block_id": {"text": "t", "blocks": [section("a", "b" * 256)]},
    "too much text": {"text": "t", "blocks": [section("x" * 3000, f"b{i}") for i in range(4)]},
    "broadcast": {"text": "t", "blocks": [section("hi <!channel>")]},
    "broadcast in fallback": {"text": "<!here> hi", "blocks": []},
    "forged mention": {"text": "t", "blocks": [section("<@U1|x> <!subteam^S1>")]},
    "long header": {
        "text": "t",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
    },
    "mrkdwn header": {
        "text": "t",
        "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}],
    },
    "long button": {
        "text": "t",
        "blocks": [
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "b" * 76}}],
            }
        ],
    },
    "same action twice in a block": {
        "text": "t",
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "a",
                        "text": {"type": "plain_text", "text": "x"},
                    }
                ]
                * 2,
            }
        ],
    },
    "long value": {
        "text": "t",
        "blocks": [
            section("x")
            | {
                "accessory": {
                    "type": "button",
                    "action_id": "a",
                    "value": "v" * 2001,
                    "text": {"type": "plain_text", "text": "x"},
                }
            }
        ],
    },
    "long option": {
        "text": "t",
        "blocks": [
            section("x")
            | {
                "accessory": {
                    "type": "static_select",
                    "action_id": "a",
                    "options": [
                        {"text": {"type": "plain_text", "text": "o" * 76}, "value": "1"},
                    ],
                }
            }
        ],
    },
}


@pytest.mark.parametrize("name", BAD_MESSAGES)
def test_check_message_rejects(name: str):
    with pytest.raises(ValueError):
        check_message(BAD_MESSAGES[name])


def test_check_message_accepts_deliberate_mentions_and_links():
    text = "Started by <@U123ABC> in <#C0123> — <https://example.com/a?b=1&amp;c=2|docs>"
    check_message({"text": "ok", "blocks": [section(text, "a")]})


def test_check_view_limits_home_tabs_to_100_blocks():
    check_view({"type": "home", "blocks": [section("x", f"b{i}") for i in range(100)]})
    with pytest.raises(ValueError):
        check_view({"type": "home", "blocks": [section("x", f"b{i}") for i in range(101)]})
    with pytest.raises(ValueError):
        check_view({"type": "modal", "blocks": []})  # no title


# guard_outgoing (bot/slack/outgoing.py): what may never reach Slack

PINGS = [
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!HERE|here>",
    "<!subteam^S0123|@ops>",
    "<!group>",
]


def checkboxes(label: str) -> dict:
    """An input block: check_message does not look inside one, the guard does."""
    option = {"text": {"type": "mrkdwn", "text": label, "verbatim": True}, "value": "0"}
    element = {"type": "checkboxes", "action_id": "c", "options": [option]}
    label_text = {"type": "plain_text", "text": "L"}
    return {"type": "input", "block_id": "i", "label": label_text, "element": element}


@pytest.mark.parametrize("ping", PINGS)
def test_the_guard_refuses_a_broadcast_ping_wherever_it_is_shown(ping: str):
    secret = f"Refund for Mrs Jones {ping}"
    for message in (
        {"text": secret},
        {"text": "t", "blocks": [section(secret, "a")]},
        {
            "text": "t",
            "blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": secret}]}],
        },
        {"text": "t", "blocks": [checkboxes(secret)]},
    ):
        reason = guard_outgoing(message)
        assert reason is not None and "ping" in reason
        assert "Jones" not in reason  # a reason is logged: it never quotes the message
    assert guard_view({"type": "home", "blocks": [section(secret, "a")]}) is not None


def test_the_guard_lets_deliberate_mentions_of_one_person_and_escaped_text_through():
    text = "<@U123ABC> started this in <#G0PRIVATE>; &lt;!here&gt; is only text"
    assert guard_outgoing({"text": text, "blocks": [section(text, "a")]}) is None
    assert guard_outgoing({"text": "Hi <@W0ENTERPRISE>"}) is None


def test_the_guard_refuses_link_names_and_what_slack_would_refuse_but_not_our_margins():
    assert "link_names" in guard_outgoing({"text": "hi @here", "link_names": True})
    assert "link_names" in guard_outgoing({"text": "hi @here", "parse": "full"})
    assert "51 blocks" in guard_outgoing(
        {"text": "t", "blocks": [section("x", f"b{i}") for i in range(51)]}
    )
    assert guard_outgoing({"text": ""}) == "message has no fallback text"
    unknown = guard_outgoing({"text": "call <tel:+1555|me> about Mrs Jones"})
    assert unknown is not None and "control sequence" in unknown and "Jones" not in unknown
    assert guard_outgoing({"text": "t", "blocks": [{"type": "header"}]}) == (
        "malformed blocks (KeyError)"
    )
    # Longer than our own limits, well within Slack's: sent.
    assert guard_outgoing({"text": "x" * 5000}) is None
    long_blocks = [section("y" * 2900, f"b{i}") for i in range(4)]
    assert guard_outgoing({"text": "t", "blocks": long_blocks}) is None


def test_our_rules_want_every_mrkdwn_object_verbatim_wherever_it_is():
    loose = {"type": "mrkdwn", "text": "see #general and https://example.com"}
    field = {"type": "section", "fields": [loose]}
    context = {"type": "context", "elements": [loose]}
    option = checkboxes("x")
    option["element"]["options"][0]["text"] = loose
    for block in (section("fine", "a") | {"text": loose}, field, context, option):
        with pytest.raises(ValueError, match="without verbatim"):
            check_message({"text": "t", "blocks": [block]})
        with pytest.raises(ValueError, match="without verbatim"):
            check_view({"type": "home", "blocks": [block]})
        # Slack itself accepts it, so the last check before sending lets it through.
        assert guard_outgoing({"text": "t", "blocks": [block]}) is None
    check_verbatim({"type": "plain_text", "text": "no mrkdwn here"}, "x")


def test_a_plain_at_here_is_refused_only_where_slack_might_parse_it():
    at_here = {"type": "mrkdwn", "text": "ask @here first"}
    assert guard_outgoing({"text": "t", "blocks": [section("x", "a") | {"text": at_here}]})
    verbatim = section("ask @here first", "a")
    assert guard_outgoing({"text": "ask @here first", "blocks": [verbatim]}) is None
