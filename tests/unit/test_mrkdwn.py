import re

import pytest

from bot.core import mrkdwn
from bot.core.mrkdwn import escape, to_mrkdwn

FORMATTING = [
    ("**b**", "*b*"),
    ("*i* and _i_", "_i_ and _i_"),
    ("~~s~~", "~s~"),
    ("***both***", "_*both*_"),
    ("**a _b_ c**", "*a _b_ c*"),
    ("*a **b** c*", "_a *b* c_"),
    # Slack can't nest the same style, so the inner markers are dropped rather than doubled.
    ("**a **b** c**", "*a b c*"),
    ("*a\nb*", "_a_\n_b_"),
    ("`code`", "`code`"),
    ("`` a`b ``", "`aˋb`"),
    ("`<!here> & *x*`", "`&lt;!here&gt; &amp; *x*`"),
]

LITERAL_MARKERS = [
    # Escaped markdown markers must not turn into Slack formatting.
    (r"\*not bold\*", "∗not bold∗"),
    (r"\_not italic\_", "ˍnot italicˍ"),
    (r"\~not struck\~", "∼not struck∼"),
    ("~5 min, then ~10 min", "∼5 min, then ∼10 min"),
    (r"\`not code\`", "ˋnot codeˋ"),
    ("**a * b**", "*a * b*"),
    ("**rate\\***", "*rate∗*"),
    # Inside words and between spaces Slack never formats, so the text stays exact.
    ("MAX_RETRIES a_b_c 2*3 2 * 3", "MAX_RETRIES a_b_c 2*3 2 * 3"),
    ("~/.ssh/config", "∼/.ssh/config"),
]

LINKS = [
    ("[a](http://x)", "<http://x|a>"),
    ("[a](https://x/y?q=1&r=2)", "<https://x/y?q=1&amp;r=2|a>"),
    ("[mail](mailto:a@b.co)", "<mailto:a@b.co|mail>"),
    ("[a](HTTPS://X)", "<HTTPS://X|a>"),
    ("[](https://x)", "<https://x>"),
    ("<https://x.com/a>", "<https://x.com/a>"),
    ("<a@b.co>", "<mailto:a@b.co|a@b.co>"),
    ("[**bold** `c`](https://x)", "<https://x|bold c>"),
    ("[a|b](https://x)", "<https://x|a¦b>"),
    ("[a <b> & c](https://x)", "<https://x|a &lt;b&gt; &amp; c>"),
    ("[a](<http://x/a b>)", "<http://x/a%20b|a>"),
    ("[a](http://x|y)", "<http://x%7Cy|a>"),
    # `<http://x/a>` is an autolink of its own; the stray `>` after it is escaped.
    ("[a](<http://x/a>b>)", "[a](<http://x/a>b&gt;)"),
    ("[a](http://x/%3E)", "<http://x/%3E|a>"),
    ("[a](http://x/>)", "<http://x/%3E|a>"),
    ("[a](http://x/<!channel>)", "<http://x/%3C!channel%3E|a>"),
    ("[a](http://x|<!channel>)", "<http://x%7C%3C!channel%3E|a>"),
    # Unsafe or relative schemes keep only the label; the URL is dropped.
    ("[click](javascript:alert(1))", "[click](javascript:alert(1))"),
    ("[click](JavaScript:alert(1) 'x')", "[click](JavaScript:alert(1) 'x')"),
    ("[open](slack://open?team=T1)", "open"),
    ("[step 3](#step-3)", "step 3"),
    ("[other](../other.md)", "other"),
    ("[<!here>](slack://x)", "&lt;!here&gt;"),
    ("<slack://open>", "slack://open"),
    ("[a](ftp://x)", "a"),
    ("![diagram](https://x/d.png)", "<https://x/d.png|diagram>"),
    ("![](https://x/d.png)", "<https://x/d.png>"),
    ("![a *b*](https://x/d.png)", "<https://x/d.png|a b>"),
    ("![alt](data:image/png;base64,AAAA)", "alt"),
    ("![alt](img/d.png)", "alt"),
]

BLOCKS = [
    ("# H1", "*H1*"),
    ("###### H6 *x* `y`", "*H6 x y*"),
    ("Setext\n===", "*Setext*"),
    ("# 2\\*3 \\*", "*2*3 ∗*"),
    ("a\n\nb", "a\n\nb"),
    ("a\nb", "a\nb"),
    ("a  \nb", "a\nb"),
    ("a\\\nb", "a\nb"),
    ("a\n\n\n\n\nb", "a\n\nb"),
    ("a   \n\n", "a"),
    ("---", "───"),
    ("a\n\n***\n\nb", "a\n\n───\n\nb"),
    ("- a\n- b", "• a\n• b"),
    ("* a\n+ b", "• a\n\n• b"),
    ("1. a\n2. b", "1. a\n2. b"),
    ("3. a\n4. b", "3. a\n4. b"),
    ("1) a\n1) b", "1. a\n2. b"),
    ("0. zero", "0. zero"),
    ("- a\n  - b\n    - c\n- d", "• a\n    • b\n        • c\n• d"),
    ("1. a\n   - b\n     1. c", "1. a\n    • b\n        1. c"),
    ("- a\n\n- b\n\n  more", "• a\n\n• b\n\n    more"),
    ("- a\n  next", "• a\n    next"),
    ("- [ ] todo\n- [x] done\n- [X] Done", "☐ todo\n☑ done\n☑ Done"),
    ("1. [ ] first\n2. [x] second", "1. ☐ first\n2. ☑ second"),
    ("- [ ]", "☐"),
    ("- [y] not a task", "• [y] not a task"),
    ("- [ ]not a task", "• [ ]not a task"),
    ("-", "•"),
    ("> quoted", "> quoted"),
    ('> "Hi! Thanks"', '> "Hi! Thanks"'),
    ("> a\nb", "> a\n> b"),
    ("> a\n>\n> b", "> a\n>\n> b"),
    ("> a\n>\n> > nested", "> a\n>\n> nested"),
    ("> - x\n> - y", "> • x\n> • y"),
    ("> say <!here> *hi*", "> say &lt;!here&gt; _hi_"),
    # A line starting with `<!x` is an HTML block in CommonMark: shown escaped, unformatted.
    ("<!here> *hi*", "&lt;!here&gt; ∗hi∗"),
    ("```\n<!channel> & x\n\n\n  y  \n```", "```\n&lt;!channel&gt; &amp; x\n\n\n  y  \n```"),
    ("```python\n*a* _b_\n```", "```\n*a* _b_\n```"),
    ("````\n```\nx\n````", "```\nˋˋˋ\nx\n```"),
    ("    indented <b>", "```\nindented &lt;b&gt;\n```"),
    ("> ```\n> x\n>\n> y\n> ```", "> ```\n> x\n>\n> y\n> ```"),
    ("- x\n\n  ```\n  y\n  ```", "• x\n\n    ```\n    y\n    ```"),
    (
        "<div>\n<script>alert(1)</script>\n</div>",
        "&lt;div&gt;\n&lt;script&gt;alert(1)&lt;/script&gt;\n&lt;/div&gt;",
    ),
    ("a <b>bold</b> c", "a &lt;b&gt;bold&lt;/b&gt; c"),
    ("<!-- note -->", "&lt;!-- note --&gt;"),
]

TABLES = [
    (
        "| Step | Owner |\n|---|---|\n| 1 | Ops team |\n| 22 | QA |",
        "```\nStep | Owner\n-----|---------\n1    | Ops team\n22   | QA\n```",
    ),
    (
        "| a | b |\n|--:|:-:|\n| long | x |",
        "```\n   a |  b\n-----|----\nlong |  x\n```",
    ),
    # The pipe-escaped cell keeps its pipe as a look-alike so columns stay unambiguous.
    (
        "| cmd | note |\n|---|---|\n| `a \\| b` | **<!here>** |",
        "```\ncmd   | note\n------|--------\na ¦ b | &lt;!here&gt;\n```",
    ),
    ("| a |\n|---|\n| 漢字 |", "```\na\n----\n漢字\n```"),
    ("| a | b |\n|---|---|\n| x |", "```\na   | b\n----|----\nx   |\n```"),
    ("| a |\n|---|\n| \\`\\`\\`x |", "```\na\n----\nˋˋˋx\n```"),
    ("| a |\n|---|\n| ```*x*``` |", "```\na\n---\n*x*\n```"),
]

HOSTILE = [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<!here> <!everyone>", "&lt;!here&gt; &lt;!everyone&gt;"),
    ("<@U123>", "&lt;@U123&gt;"),
    ("<#C123>", "&lt;#C123&gt;"),
    ("<!subteam^S1|@team>", "&lt;!subteam^S1|@team&gt;"),
    # CommonMark decodes entities first; the decoded `<` is then escaped, so Slack shows
    # the literal text `<!channel>` and nothing pings.
    ("&lt;!channel&gt;", "&lt;!channel&gt;"),
    ("&#60;!here&#62;", "&lt;!here&gt;"),
    ("&amp;lt;", "&amp;lt;"),
    ("AT&T &copy;", "AT&amp;T ©"),
    # A raw Slack link is a CommonMark autolink: `|` is percent-encoded in the URL and
    # defused in the label, so it cannot smuggle a label or a mention.
    ("<http://x|y>", "<http://x%7Cy|http://x¦y>"),
    ("<http://x|<!channel>>", "&lt;http://x|&lt;!channel&gt;&gt;"),
    ("\\<!channel>", "&lt;!channel&gt;"),
    ("`<!channel>`", "`&lt;!channel&gt;`"),
]


@pytest.mark.parametrize(
    ("markdown", "expected"),
    FORMATTING + LITERAL_MARKERS + LINKS + BLOCKS + TABLES + HOSTILE,
)
def test_to_mrkdwn(markdown: str, expected: str) -> None:
    assert to_mrkdwn(markdown) == expected


def test_sop_document_renders_end_to_end() -> None:
    source = (
        "# Restart the API\n\n"
        "Ask in <#C1> first. **Never** skip step 2.\n\n"
        "1. Drain traffic\n"
        "2. Run:\n\n"
        "   ```sh\n   systemctl restart api && echo ok\n   ```\n\n"
        "3. Check [the dashboard](https://grafana.example.com/d/api?from=now-1h&to=now)\n\n"
        '> "Hi! Thanks"\n'
    )
    assert to_mrkdwn(source) == (
        "*Restart the API*\n\n"
        "Ask in &lt;#C1&gt; first. *Never* skip step 2.\n\n"
        "1. Drain traffic\n\n"
        "2. Run:\n\n"
        "    ```\n    systemctl restart api &amp;&amp; echo ok\n    ```\n\n"
        "3. Check <https://grafana.example.com/d/api?from=now-1h&amp;to=now|the dashboard>\n\n"
        '> "Hi! Thanks"'
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("<!channel> & <@U1>", "&lt;!channel&gt; &amp; &lt;@U1&gt;"),
        ("&lt;", "&amp;lt;"),
        ("*not touched* `x` |", "*not touched* `x` |"),
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert escape(text) == expected


NASTY = [
    "<!channel>",
    "<!here|here>",
    "<!everyone>",
    "<@U123>",
    "<@U123|bob>",
    "<#C123|general>",
    "<!subteam^S1|@team>",
    "<!date^1392734382^{date}|x>",
    "&lt;!channel&gt;",
    "&#x3C;!here&#x3E;",
    "&amp;lt;!here&amp;gt;",
    "<http://x|<!channel>>",
    "<http://x|y>",
    "[a](http://x|<!channel>)",
    "[<!channel>](http://x)",
    "[a](<http://x/|<!here>>)",
    "[a](http://x/>!channel)",
    "[a](https://x/a%3E%3C!here%3E)",
    "![<@U1>](https://x/<@U1>.png)",
    "[click](javascript:alert('<!here>'))",
    "[x](slack://channel?id=<!here>)",
    "<slack://user?id=U1>",
    "> <!here>\n> > <@U1>",
    "- <!channel>\n  - <@U1>\n    - <#C1>",
    "| <!here> | x |\n|---|---|\n| a \\| <@U1> | `<!channel>` |",
    "```\n<!channel>\n```",
    "    <!everyone>",
    "<div><!here></div>",
    "<!-- <!channel> -->",
    "`<!here>` **<@U1>** _<#C1>_ ~~<!channel>~~",
    "[a]\n\n[a]: https://x/<!here>",
    "[a]\n\n[a]: <https://x/|<!here>>",
    "<mailto:a@b.c|<!here>>",
    "<a@b.co>",
    "\\<!here\\>",
    "<<!here>>",
    "<<<@U1>>>",
]

OUR_LINK = re.compile(r"<(?:https?://|mailto:)[^<>|\s]*(?:\|[^<>|]*)?>", re.IGNORECASE)
QUOTE_MARKERS = re.compile(r"^(?: *>(?: |$))+", re.MULTILINE)


@pytest.mark.parametrize("markdown", NASTY)
def test_output_has_no_control_sequences_outside_our_links(markdown: str) -> None:
    output = to_mrkdwn(markdown)
    outside_links = OUR_LINK.sub("", output)
    for control in ("<!", "<@", "<#", "<!subteam"):
        assert control not in outside_links
    # Every `<` begins a link we built, and every other `>` is a quote marker at line start.
    assert "<" not in outside_links
    assert ">" not in QUOTE_MARKERS.sub("", outside_links)
    for url in re.findall(r"<([^|>]*)", output):
        assert not re.search(r"[<>|\s]", url)


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("[a](<http://x/a|b c>)", "<http://x/a%7Cb%20c|a>"),
        ("[a](<http://x/<!here>>)", "[a](&lt;http://x/&lt;!here&gt;&gt;)"),
        ('[a](http://x/>"`)', "<http://x/%3E%22%60|a>"),
        ("<http://x/|@U1 >", "&lt;http://x/|@U1 &gt;"),
        ("<http://x/|@U1>", "<http://x/%7C@U1>"),
    ],
)
def test_urls_are_encoded_even_if_the_parser_stops_encoding_them(
    monkeypatch: pytest.MonkeyPatch, markdown: str, expected: str
) -> None:
    # markdown-it percent-encodes link targets today; our own encoding must not rely on it.
    monkeypatch.setattr(mrkdwn._MD, "normalizeLink", lambda url: url)
    assert to_mrkdwn(markdown) == expected
