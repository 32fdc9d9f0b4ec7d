"""Middleware that refuses a request before any listener acts on it.

1. Another workspace: sopbot serves the workspace its token belongs to. A signed request whose
   installing workspace is another (say the app was installed there too) is answered with
   nothing done: an empty 200 for events, buttons and forms, no options for a select, and one
   ephemeral line for a command. The installing workspace is bolt's `context.team_id`, which
   reads it where Slack puts it for each payload: `team_id` of a command,
   `view.app_installed_team_id` of a form, `team.id` of other interactions and
   `authorizations[0].team_id` of an event (the top-level `team_id` of an event in a Slack
   Connect channel can be the channel's home workspace). The person's own team is not looked
   at here: someone from another organisation in a shared channel gets to the policy below.
2. EXTERNAL_PEOPLE=deny: guests and people from other organisations get one polite line for
   everything. This asks users.info (kept a minute) before the ack; only under `deny`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.services.access import same_install
from bot.slack.access import Access, installation
from bot.slack.guard import refusals as blocks
from bot.slack.guard.after_ack import AfterAck
from bot.slack.payload import caller_of

log = logging.getLogger(__name__)
Next = Callable[[], BoltResponse | None]
UNSCOPED = frozenset({"url_verification", "ssl_check"})


def kind_of(body: dict[str, Any]) -> str:
    """What a request is, for a log line: `command`, `event:app_home_opened`, `block_actions`."""
    if "command" in body:
        return "command"
    if body.get("type") == "event_callback":
        return f"event:{(body.get('event') or {}).get('type')}"
    return str(body.get("type") or "request")


def install(app: App, *, access: Access, later: AfterAck) -> None:
    """Register the gates on `app`; call before any other middleware."""
    client = access.client
    installation(client)  # asked now, so the first request does not wait for auth.test

    @app.middleware
    def only_our_workspace(body: dict[str, Any], context: BoltContext, next: Next) -> Any:
        """Refuse a request installed in another workspace, with nothing done."""
        if body.get("type") in UNSCOPED:
            return next()
        ours = installation(client)
        if same_install(
            installed_team=ours.team_id,
            installed_enterprise=ours.enterprise_id,
            team=context.team_id,
            enterprise=context.enterprise_id,
        ):
            return next()
        log.warning(
            "refused a %s installed in workspace %s (enterprise %s): sopbot serves %s",
            kind_of(body),
            context.team_id,
            context.enterprise_id,
            ours.team_id or ours.enterprise_id,
        )
        if "command" in body:
            return BoltResponse(
                status=200, body={"response_type": "ephemeral", "text": blocks.ANOTHER_WORKSPACE}
            )
        if body.get("type") == "block_suggestion":
            return BoltResponse(status=200, body={"options": []})
        return BoltResponse(status=200, body="")

    @app.middleware
    def members_only(body: dict[str, Any], context: BoltContext, next: Next) -> Any:
        """EXTERNAL_PEOPLE=deny: one polite line for guests and other organisations."""
        caller = caller_of(body)
        if access.policy != "deny" or caller is None:
            return next()
        viewer = access.viewer(caller)
        if not access.refused(viewer):
            return next()
        log.info("refused a %s from a %s (EXTERNAL_PEOPLE=deny)", kind_of(body), viewer.reason)
        name = access.workspace.name
        kind = body.get("type")
        if "command" in body:
            return BoltResponse(
                status=200, body={**blocks.members_only(name), "response_type": "ephemeral"}
            )
        if kind == "block_suggestion":
            return BoltResponse(status=200, body={"options": []})
        if kind == "view_submission":
            view = blocks.members_only_modal(name)
            return BoltResponse(status=200, body={"response_action": "update", "view": view})
        if kind == "event_callback" and (body.get("event") or {}).get("type") == "app_home_opened":
            home = blocks.members_only_home(name)
            later.submit(client.views_publish, user_id=caller.user_id, view=home)
        elif context.response_url is not None and context.respond is not None:
            notice = {**blocks.members_only(name), "response_type": "ephemeral"}
            later.submit(context.respond, notice)
        return BoltResponse(status=200, body="")
