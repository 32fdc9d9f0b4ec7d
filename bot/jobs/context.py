"""What every scheduled job runs with, handed to it by the composition root (bot/wiring.py)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.services.renderers import Renderers


@dataclass(frozen=True)
class JobContext:
    """The runtime, a Web API client for look-ups and uploads, and the message builders."""

    runtime: Runtime
    client: WebClient  # bot.slack.clients.listener_client: waits out 429s
    renderers: Renderers
