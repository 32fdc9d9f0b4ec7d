"""Escaping untrusted text for Slack mrkdwn, apart from the renderer (bot/core/mrkdwn.py).

A module of its own so code that only escapes (feedback notes, a publish that tells authors
their feedback was addressed) does not load the Markdown parser the renderer needs.
"""

from __future__ import annotations


def escape(text: str) -> str:
    """Escape untrusted plain text for any Slack mrkdwn field."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
