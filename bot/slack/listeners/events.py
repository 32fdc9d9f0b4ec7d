"""Events API: the App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.services import runs
from bot.services.lookup import relevant_sops
from bot.slack.access import Caller, sender
from bot.slack.blocks import access as access_blocks
from bot.slack.blocks.home import home_view
from bot.slack.cards import run_card, sop_card
from bot.slack.feedback_inbox import FeedbackInbox
from bot.slack.listeners import kpis
from bot.slack.listeners.training import home_section
from bot.slack.runner import Runner

HOME_SOPS = 20


def register(app: App, runtime: Runtime, runner: Runner) -> None:
    """Attach `app_home_opened`."""

    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        # runner.client, not bolt's per-request client: only ours checks what it sends.
        publish_home(runtime, runner, runner.client, sender(body))


def publish_home(runtime: Runtime, runner: Runner, client: WebClient, caller: Caller) -> None:
    """Render and publish one person's Home tab, with the SOPs they may see."""
    access, user_id = runner.access, caller.user_id
    viewer = access.viewer(caller)
    snapshot = access.snapshot(viewer)
    with runtime.database.session() as session:
        entries = relevant_sops(session, snapshot=snapshot, user_id=user_id, channel_name=None)
        unfinished = access.runs(runs.unfinished_runs(session, user_id=user_id), snapshot, viewer)
    view = home_view(
        unfinished=[run_card(r) for r in unfinished],
        sops=[sop_card(e) for e in entries[:HOME_SOPS]],
        empty=access_blocks.empty_list(sees_all=access.sees_all(viewer)),
        sections=[
            home_section(runtime, user_id),
            *FeedbackInbox(runtime=runtime, client=client).home_sections(user_id),
            kpis.home_section(runtime, client, user_id),
        ],
    )
    client.views_publish(user_id=user_id, view=view)
