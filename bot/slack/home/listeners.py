"""The App Home tab: the person's unfinished runs and SOPs, then each feature's section."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.services import runs
from bot.services.lookup import relevant_sops
from bot.slack import authoring, feedback, kpis, training
from bot.slack.context import SlackContext
from bot.slack.home.blocks import home_view
from bot.slack.kit.cards import run_card, sop_card
from bot.slack.kit.notices import empty_list
from bot.slack.payload import Caller, sender

HOME_SOPS = 20


def register(app: App, ctx: SlackContext) -> None:
    """Attach `app_home_opened`."""

    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        publish_home(ctx, sender(body))


def publish_home(ctx: SlackContext, caller: Caller) -> None:
    """Render and publish one person's Home tab, with the SOPs they may see."""
    access, user_id = ctx.access, caller.user_id
    viewer = access.viewer(caller)
    snapshot = access.snapshot(viewer)
    with ctx.runtime.database.session() as session:
        entries = relevant_sops(session, snapshot=snapshot, user_id=user_id, channel_name=None)
        unfinished = access.runs(runs.unfinished_runs(session, user_id=user_id), snapshot, viewer)
    view = home_view(
        unfinished=[run_card(r) for r in unfinished],
        sops=[sop_card(e) for e in entries[:HOME_SOPS]],
        empty=empty_list(sees_all=access.sees_all(viewer)),
        sections=[
            training.home_section(ctx, user_id),
            *feedback.FeedbackInbox(ctx).home_sections(user_id),
            kpis.home_section(ctx, user_id),
            authoring.home_section(ctx, user_id),
        ],
    )
    # ctx.client, not bolt's per-request client: only ours checks what it sends.
    ctx.client.views_publish(user_id=user_id, view=view)
