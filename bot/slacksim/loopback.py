"""The loopback allow-list shared by the playground's page and its simulated Web API."""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _hostname(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:  # e.g. an unclosed "[::1"
        return None


def is_loopback(host: str | None, origin: str | None) -> bool:
    """True when Host names this machine and Origin, if sent, does too.

    A web page elsewhere whose DNS re-points its name at 127.0.0.1 sends its own name as Host;
    a page that posts here cross-site sends its own Origin (or "null").
    """
    if _hostname(f"//{host or ''}") not in LOOPBACK:
        return False
    return origin is None or _hostname(origin) in LOOPBACK
