"""Text splitting, truncation, message chunking and the limit checks themselves."""

from __future__ import annotations

import random

import pytest

from bot.slack.blocks.limits import (
    ELLIPSIS,
    block_chars,
    check_message,
    check_view,
    chunk_messages,
    excerpt,
    split_text,
    truncate,
)


def section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
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
