"""The playground's loopback allow-list, for its page and its simulated Web API."""

from __future__ import annotations

import pytest

from bot.slacksim.loopback import is_loopback


@pytest.mark.parametrize(
    ("host", "origin", "allowed"),
    [
        ("127.0.0.1:3000", None, True),
        ("localhost:3000", "http://localhost:3000", True),
        ("[::1]:3000", "http://[::1]:3000", True),
        ("[::1]", None, True),
        ("evil.example:3000", None, False),  # DNS rebinding: the page's own name
        ("127.0.0.1@evil.example", None, False),
        ("[::1", None, False),
        ("", None, False),
        (None, None, False),
        ("127.0.0.1:3000", "https://evil.example", False),  # a cross-site post
        ("127.0.0.1:3000", "null", False),  # a sandboxed frame or a file
    ],
)
def test_only_this_machine_passes(host, origin, allowed):
    assert is_loopback(host, origin) is allowed
