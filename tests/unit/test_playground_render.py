"""The playground renderer: Slack mrkdwn and Block Kit as HTML; golden fragments, hostile input."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from bot.playground.render import Context, Names, blocks, message_body, mrkdwn, plain

NAMES = Names(users={"U1": "Maria"}, channels={"C1": "support"}, groups={"S1": "support-team"})


def button(text: str, **extra) -> dict:
    return {
        "type": "button",
        "action_id": "go",
        "text": {"type": "plain_text", "text": text},
        **extra,
    }


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("*Done* _now_ ~old~", "<b>Done</b> <i>now</i> <s>old</s>"),
        ("`/sop refund`", '<code class="mk-code">/sop refund</code>'),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),  # markers inside words
        ("* not bold *", "* not bold *"),  # a marker next to a space does not open or close
        ("a\nb", "a<br>b"),
        ("&lt;b&gt; &amp;lt;", "&lt;b&gt; &amp;lt;"),  # shown as `<b> &lt;`, as Slack shows it
        (
            "<@U1> <#C1> <!here> <!subteam^S1> <@U9|someone>",
            '<span class="mention">@Maria</span> <span class="mention">#support</span> '
            '<span class="mention mention-all">@here</span> '
            '<span class="mention">@support-team</span> <span class="mention">@someone</span>',
        ),
        (
            "<https://x.test/a?b=1&amp;c=2|the *docs*>",
            '<a class="mk-link" href="https://x.test/a?b=1&amp;c=2" target="_blank" '
            'rel="noopener noreferrer">the *docs*</a>',
        ),
        (
            "<mailto:jo@example.com>",
            '<a class="mk-link" href="mailto:jo@example.com" '
            'target="_blank" rel="noopener noreferrer">jo@example.com</a>',
        ),  # fmt: skip
        (
            '> "Hi!"\n> Thanks\nafter',
            '<blockquote class="mk-quote">&quot;Hi!&quot;<br>Thanks</blockquote>after',
        ),  # fmt: skip
        (
            "before\n```\nrm *x*\n<@U1>\n```\nafter",
            'before<pre class="mk-pre">rm *x*\n<span class="mention">@Maria</span></pre>after',
        ),  # fmt: skip
        (
            "*<https://x.test|bold link>*",
            '<b><a class="mk-link" href="https://x.test" '
            'target="_blank" rel="noopener noreferrer">bold link</a></b>',
        ),  # fmt: skip
        (":white_check_mark: done", "✅ done"),
    ],
)
def test_mrkdwn_renders_as_slack_does(source: str, html: str):
    assert mrkdwn(source, NAMES) == html


def test_plain_text_decodes_slack_entities_and_escapes_everything_else():
    assert plain("Fish &amp; chips <b>") == "Fish &amp; chips &lt;b&gt;"


def test_a_section_with_fields_and_a_button():
    section = {
        "type": "section",
        "block_id": "s",
        "text": {"type": "mrkdwn", "text": "*Revision*"},
        "fields": [{"type": "mrkdwn", "text": "*A*\n1"}, {"type": "plain_text", "text": "B"}],
        "accessory": button("Start", value="refund"),
    }
    assert blocks([section]) == (
        '<div class="b-section"><div class="s-main"><div class="s-text"><b>Revision</b></div>'
        '<div class="s-fields"><div class="s-field"><b>A</b><br>1</div>'
        '<div class="s-field">B</div></div></div><div class="s-accessory">'
        '<button type="button" class="btn" data-kind="button" data-action-id="go" '
        'data-block-id="s" data-value="refund">Start</button></div></div>'
    )


def test_header_context_divider_and_primary_and_danger_buttons():
    shown = blocks(
        [
            {"type": "header", "text": {"type": "plain_text", "text": "Refund &amp; returns"}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Role: *Agent*"}]},
            {"type": "divider"},
            {
                "type": "actions",
                "block_id": "a",
                "elements": [
                    button("Done", style="primary", value="1"),
                    button("Stop", style="danger", value="2"),
                ],
            },
        ]
    )
    assert shown == (
        '<div class="b-header">Refund &amp; returns</div>'
        '<div class="b-context"><span class="ctx-text">Role: <b>Agent</b></span></div>'
        '<hr class="b-divider"><div class="b-actions">'
        '<button type="button" class="btn btn-primary" data-kind="button" data-action-id="go" '
        'data-block-id="a" data-value="1">Done</button>'
        '<button type="button" class="btn btn-danger" data-kind="button" data-action-id="go" '
        'data-block-id="a" data-value="2">Stop</button></div>'
    )


def test_static_select_and_overflow_carry_what_the_page_sends():
    options = [{"text": {"type": "plain_text", "text": "One"}, "value": "1"}]
    shown = blocks(
        [
            {
                "type": "actions",
                "block_id": "a",
                "elements": [
                    {"type": "static_select", "action_id": "pick", "options": options},
                    {"type": "overflow", "action_id": "more", "options": options},
                ],
            }
        ]
    )
    assert shown == (
        '<div class="b-actions"><select class="select" data-kind="static_select" '
        'data-action-id="pick" data-block-id="a"><option value="" disabled selected>'
        'Select an item</option><option value="1">One</option></select>'
        '<span class="overflow" data-kind="overflow" data-action-id="more" data-block-id="a">'
        '<button type="button" class="btn btn-overflow" aria-label="More actions">⋯</button>'
        '<span class="menu" hidden><button type="button" class="menu-item" '
        'data-option-value="1">One</button></span></span></div>'
    )


def test_an_input_keeps_what_was_typed_and_shows_the_apps_error_under_it():
    block = {
        "type": "input",
        "block_id": "text",
        "label": {"type": "plain_text", "text": "Your feedback"},
        "element": {"type": "plain_text_input", "action_id": "value", "multiline": True},
    }
    typed = {"text": {"value": {"type": "plain_text_input", "value": "  "}}}
    shown = blocks([block], Context(state=typed, errors={"text": "Write something"}))
    assert shown == (
        '<div class="b-input has-error" data-block-id="text"><label class="in-label">'
        'Your feedback</label><textarea class="text-in" rows="4" data-kind="plain_text_input" '
        'data-action-id="value" data-block-id="text" data-input="1" placeholder="">  </textarea>'
        '<div class="in-error" role="alert">Write something</div></div>'
    )


def test_choices_and_external_selects_show_the_current_choice():
    options = [
        {"text": {"type": "mrkdwn", "text": "*Yes*"}, "value": "y"},
        {"text": {"type": "plain_text", "text": "No"}, "value": "n"},
    ]
    radio = {"type": "radio_buttons", "action_id": "r", "options": options}
    radio["initial_option"] = options[1]
    external = {"type": "external_select", "action_id": "sop", "initial_option": options[1]}
    shown = blocks(
        [
            {"type": "input", "block_id": "kind", "label": {"type": "plain_text", "text": "K"},
             "element": radio, "optional": True},
            {"type": "input", "block_id": "sop", "label": {"type": "plain_text", "text": "S"},
             "element": external},
        ]
    )  # fmt: skip
    assert 'data-optional="1"' in shown
    assert '<input type="radio" name="kind/r" value="n" checked>' in shown
    assert "<span><b>Yes</b></span>" in shown
    assert 'data-chosen="{&quot;text&quot;' in shown and 'value="No"' in shown


def test_files_show_as_images_only_when_they_are_images():
    shown = message_body(
        {
            "text": "",
            "files": [
                {"id": "F0SIM00001", "name": "digest.png", "title": "KPIs"},
                {"id": "F0SIM00002", "name": "report.svg", "title": "Report"},
            ],
        }
    )
    assert '<img src="/play/files/F0SIM00001" alt="KPIs">' in shown
    assert '<a href="/play/files/F0SIM00002" download>Report</a>' in shown


def test_a_message_without_blocks_shows_its_text():
    assert message_body({"text": "*hi*"}) == '<div class="m-text"><b>hi</b></div>'


# -- hostile input -------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE = [SCRIPT, BREAKOUT, "javascript:alert(1)", "' onmouseover='alert(1)"]


class Markup(HTMLParser):
    """Every tag and attribute the browser would build from a fragment."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def assert_inert(fragment: str) -> None:
    parser = Markup()
    parser.feed(fragment)
    for tag, attrs in parser.tags:
        assert tag not in ("script", "iframe", "object", "embed", "style"), fragment
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            url = attrs.get(name)
            if url is not None:
                assert url.startswith(("https://", "http://", "mailto:", "/play/files/")), url
    assert "<script" not in fragment and "<img src=x" not in fragment


@pytest.mark.parametrize("evil", HOSTILE)
def test_hostile_text_anywhere_in_a_message_stays_text(evil: str):
    text = {"type": "mrkdwn", "text": f"{evil} *{evil}* `{evil}` > {evil} <{evil}|{evil}>"}
    plain_text = {"type": "plain_text", "text": evil}
    option = {"text": plain_text, "value": evil, "description": text}
    message = {
        "text": evil,
        "blocks": [
            {"type": "header", "text": plain_text, "block_id": evil},
            {"type": "section", "text": text, "fields": [text, plain_text],
             "accessory": {"type": "image", "image_url": evil, "alt_text": evil}},
            {"type": "context", "elements": [text, {"type": "image", "image_url": evil,
                                                    "alt_text": evil}]},
            {"type": "image", "image_url": evil, "alt_text": evil, "title": plain_text},
            {"type": "image", "slack_file": {"id": evil}, "alt_text": evil},
            {"type": "actions", "block_id": evil, "elements": [
                button(evil, value=evil, url=evil, action_id=evil,
                       confirm={"title": plain_text, "text": text}),
                {"type": "static_select", "action_id": evil, "options": [option],
                 "placeholder": plain_text},
                {"type": "overflow", "action_id": evil, "options": [option]},
                {"type": "external_select", "action_id": evil, "initial_option": option},
            ]},
            {"type": "input", "block_id": evil, "label": plain_text, "hint": plain_text,
             "element": {"type": "checkboxes", "action_id": evil, "options": [option]}},
            {"type": "input", "block_id": "t", "label": plain_text,
             "element": {"type": "plain_text_input", "action_id": evil, "initial_value": evil,
                         "placeholder": plain_text}},
            {"type": evil},
        ],
        "attachments": [{"text": evil}],
        "files": [{"id": evil, "name": evil + ".png", "title": evil}],
    }  # fmt: skip
    shown = message_body(message, Context(NAMES, errors={evil: evil, "t": evil}))
    assert_inert(shown)
    assert_inert(message_body({"text": evil}))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox",
        'https://x.test/"onmouseover="alert(1)',
        "/relative/path",
    ],
)
def test_only_http_and_mailto_urls_become_links(url: str):
    shown = mrkdwn(f"<{url}|click me>")
    assert "<a " not in shown
    assert "click me" in shown
    assert_inert(shown)


def test_mentions_show_names_escaped():
    hostile = Names(users={"U1": BREAKOUT}, channels={"C1": SCRIPT})
    shown = mrkdwn("<@U1> <#C1>", hostile)
    assert_inert(shown)
    assert "&lt;script&gt;" in shown
