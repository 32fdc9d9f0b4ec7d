"""The file a recording renders: complete, and always passing the parser."""

from __future__ import annotations

import random

import pytest

from bot.core.parse import parse_sop
from bot.core.recording import RecordedStep, from_slack, render_sop, slug_for, step_parts

REFUND = [
    RecordedStep(
        'Greet the customer\nRole: Agent\nSay hi.\n&gt; "Hi there!"\n- [ ] Ticket assigned', 360
    ),
    RecordedStep(
        "Check the order\nTime: 2m\nRole: *Agent*\nIn <https://billing.example|billing>.", 30
    ),
    RecordedStep("Approve it\nRole: Team lead\nOnly over $200.", 3700),
]


def parsed(text: str, slug: str = "x"):
    sop, errors = parse_sop(text, path=f"{slug}.md", default_slug=slug)
    assert [e.message for e in errors] == []
    assert sop is not None
    return sop


def test_a_recording_renders_a_complete_sop():
    text = render_sop(title="Handle a refund", slug="handle-a-refund", owner="U01SAM", steps=REFUND)
    sop = parsed(text)
    assert (sop.title, sop.slug, sop.owner, sop.audience) == (
        "Handle a refund",
        "handle-a-refund",
        "U01SAM",
        (),
    )
    assert sop.review_every_days == 90
    assert "audience: []  # who must know this SOP" in text
    assert [r.name for r in sop.roles] == ["Agent", "Team lead"]
    assert [(s.title, s.role, s.expected_seconds) for s in sop.steps] == [
        ("Greet the customer", "Agent", 360),
        ("Check the order", "Agent", 120),  # its own Time: wins over the recorded 30 s
        ("Approve it", "Team lead", 3720),  # 1 h 2 min, as step_time_line writes it
    ]
    assert sop.steps[0].scripts == ('"Hi there!"',)
    assert sop.steps[0].checklist == ("Ticket assigned",)
    assert sop.steps[1].body == "In [billing](https://billing.example)."
    assert "## Outcome" in text and sop.outcome and sop.background


def test_no_roles_section_without_roles():
    text = render_sop(title="T", slug="t", owner="U1", steps=[RecordedStep("Do it", 5)])
    assert "## Roles" not in text
    assert parsed(text).steps[0].expected_seconds == 5


def test_step_parts_take_title_role_and_time_off_the_top():
    parts = step_parts("\n  Weigh it  \nTime: 90s\nRole: Packer\n\nOn the scale.\n")
    assert (parts.title, parts.role, parts.seconds, parts.body) == (
        "Weigh it",
        "Packer",
        90,
        ("On the scale.",),
    )


def test_slack_text_becomes_markdown():
    assert from_slack("&lt;b&gt; &amp;amp; <@U1> <#C1|general> <!here>") == (
        "<b> &amp; <@U1> #general @here"
    )
    assert from_slack("• one\n   ◦ two") == "- one\n   - two"
    assert from_slack("Press *Save* then *Done*, 2*3*4, **kept**, * item, *") == (
        "Press **Save** then **Done**, 2*3*4, **kept**, * item, *"
    )
    assert from_slack("_italic_ stays") == "_italic_ stays"


@pytest.mark.parametrize(
    ("title", "taken", "slug"),
    [
        ("Handle a refund!", set(), "handle-a-refund"),
        ("Handle a refund", {"handle-a-refund", "handle-a-refund-2"}, "handle-a-refund-3"),
        ("Café ouvert", set(), "cafe-ouvert"),
        ("日本語", set(), "recorded-sop"),
        ("x" * 200, set(), "x" * 60),
    ],
)
def test_slug_for(title, taken, slug):
    assert slug_for(title, taken) == slug


HOSTILE = [
    "## Quiz",
    "# H1",
    "---",
    "===",
    "***",
    "Role: Boss",
    "Time: soon",
    "Time: 0s",
    "```",
    "~~~~",
    "```python",
    "<!-- open",
    "<script>",
    "<?php",
    "<![CDATA[",
    "> quoted",
    "- [ ] box",
    "- [x] done",
    "1. item",
    "    indented",
    "\t tab",
    "| a | b |",
    "|---|---|",
    "[ref]: http://x",
    "<https://x|y>",
    "&lt;div&gt;",
    "*",
    "_",
    "**Role**: x",
    "Role:",
    "### 2. step",
    "#",
    "#  #",
    "title: x",
    "\\",
    "`",
    "<@U123>",
    "•  bullet",
    "émoji 🎉",
    "Step 3: x",
    "1.",
    " ",
    "",
    "-",
    "+",
    "= x",
    "\u2028",
    "x\u0000y",
    "a" * 300,
]


@pytest.mark.parametrize("seed", range(60))
def test_whatever_is_posted_the_file_passes_the_parser(seed):
    rng = random.Random(seed)

    def text() -> str:
        return "\n".join(rng.choice(HOSTILE) for _ in range(rng.randint(0, 8)))

    steps = [
        RecordedStep(text(), rng.choice([0, 0.4, 59.5, 61, 1e9])) for _ in range(rng.randint(1, 5))
    ]
    title = " ".join(rng.choice(HOSTILE) for _ in range(3)) or "t"
    slug = slug_for(title, set())
    text_out = render_sop(
        title=title, slug=slug, owner=rng.choice(["U1", "nobody", None]), steps=steps
    )
    sop = parsed(text_out, slug)
    assert len(sop.steps) == len(steps)
    assert sop.slug == slug
