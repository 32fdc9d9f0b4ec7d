"""Handling feedback in Slack: the owner's and managers' buttons, `/feedback list`, the Home tab."""

from __future__ import annotations

import json
from typing import Any

from bot.db.feedback import ACKNOWLEDGED
from bot.services import feedback_handling as handling
from bot.services import feedback_lists as lists
from bot.services.feedback import FeedbackItem
from bot.slack import outgoing
from bot.slack.authz import managed_sops, manager_channels, may_handle_sop
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.feedback import blocks, views
from bot.slack.feedback.blocks import NOTICES
from bot.slack.ids import Action
from bot.slack.kit.notices import plain_notice


class FeedbackInbox:
    """Where owners and managers handle feedback; every action checks who is acting."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx, self.runtime, self.client = ctx, ctx.runtime, ctx.client
        self.render = ctx.renderers.feedback

    def press(
        self, *, feedback_id: int, user_id: str, status: str, trigger_id: str, respond: Respond
    ) -> None:
        """Acknowledge at once; Resolve and Won't fix ask for a reason first."""
        with self.runtime.database.session() as session:
            item = handling.get_item(session, feedback_id=feedback_id)
        if item is None:
            reply(respond, plain_notice(NOTICES["missing"]))
        elif not self._may_handle(user_id, item):
            channels = manager_channels(self.ctx, item.slug)
            reply(respond, blocks.refusal(item, manager_channels=channels))
        elif not item.is_open:
            self._stale(item, respond)
        elif status != ACKNOWLEDGED:
            form = views.reason_form(item, status=status)
            self.client.views_open(trigger_id=trigger_id, view=form)
        else:
            with self.runtime.database.session() as session:
                done = handling.change_status(
                    session,
                    feedback_id=feedback_id,
                    status=status,
                    by=user_id,
                    reason=None,
                    render=self.render,
                    now=self.runtime.clock(),
                )
            if done.verdict == "stale" and done.item is not None:
                self._stale(done.item, respond)

    def close(self, *, view: dict[str, Any], user_id: str) -> dict[str, Any]:
        """The reason form was sent: resolve or decline, unless the person's rights are gone."""
        meta = json.loads(view.get("private_metadata") or "{}")
        feedback_id, status = int(meta.get("id") or 0), str(meta.get("status") or "")
        values = (view.get("state") or {}).get("values") or {}
        typed = (values.get(views.REASON_BLOCK) or {}).get(str(Action.FEEDBACK_REASON)) or {}
        with self.runtime.database.session() as session:
            item = handling.get_item(session, feedback_id=feedback_id)
        if item is None or status not in handling.ALLOWED_FROM:
            return {"response_action": "errors", "errors": {views.REASON_BLOCK: NOTICES["missing"]}}
        if not self._may_handle(user_id, item):
            refused = "You can no longer handle this feedback. Nothing was changed."
            return {"response_action": "errors", "errors": {views.REASON_BLOCK: refused}}
        with self.runtime.database.session() as session:
            done = handling.change_status(
                session,
                feedback_id=feedback_id,
                status=status,
                by=user_id,
                reason=typed.get("value"),
                render=self.render,
                now=self.runtime.clock(),
            )
        if done.verdict == "stale" and done.item is not None:
            # Someone else closed it while this form was open: say so rather than pretend.
            now = done.item.status.replace("_", " ")
            already = f"Someone already marked it {now}. Nothing was changed."
            return {"response_action": "errors", "errors": {views.REASON_BLOCK: already}}
        return {}

    def _may_handle(self, user_id: str, item: FeedbackItem) -> bool:
        return may_handle_sop(self.ctx, user_id, item.owner, slug=item.slug)

    def _stale(self, item: FeedbackItem, respond: Respond) -> None:
        # The pressed message may have been delivered after the change: show it as it is now.
        if getattr(respond, "response_url", None):
            current = blocks.routed_message(item)
            outgoing.check("response_url", current)
            respond({**current, "replace_original": True})
        reply(respond, blocks.already(item))

    def listing(self, *, user_id: str, query: str, respond: Respond) -> None:
        """`/feedback list [SOP]`: open items, oldest first, for managers and SOP owners."""
        scope = None
        if query:
            with self.runtime.database.session() as session:
                snapshot = self.runtime.catalog.snapshot(session)
            scope = snapshot.resolve(query).entry
            if scope is None:
                no_match = (
                    f"No single SOP matches “{query[:100]}”; try its id (e.g. refund-request)."
                )
                reply(respond, plain_notice(no_match))
                return
        slugs = self._visible_slugs(user_id)
        if slugs is not None and not slugs:
            reply(respond, plain_notice(NOTICES["list_refused"]))
            return
        if scope is not None:
            slugs = {scope.slug} if slugs is None or scope.slug in slugs else set()
        with self.runtime.database.session() as session:
            items = lists.open_items(session, slugs=slugs)
        title = scope.sop.title if scope is not None else ""
        reply(respond, blocks.open_list(items, now=self.runtime.clock(), scope=title))

    def _visible_slugs(self, user_id: str) -> set[str] | None:
        """None: every SOP (a manager); else the SOPs this person owns or manages through their
        `managers:` channel (maybe none)."""
        slugs = managed_sops(self.ctx, user_id)
        return None if slugs is None else set(slugs)

    def home_sections(self, user_id: str) -> list[list[dict]]:
        """The Home tab's feedback: open items for managers and owners, and the person's own."""
        slugs = self._visible_slugs(user_id)
        with self.runtime.database.session() as session:
            mine = lists.given_by(session, user_id=user_id, limit=blocks.HOME_LISTED + 1)
            waiting = lists.open_items(session, slugs=slugs) if slugs is None or slugs else None
        return blocks.home_sections(mine=mine, open_items=waiting, now=self.runtime.clock())
