"""Giving feedback in Slack: the form, its SOP search and steps, the one-liner, Undo."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError

from bot.services import feedback as giving
from bot.services import feedback_handling as handling
from bot.services import feedback_lists as lists
from bot.services.access import Viewer
from bot.services.feedback import Draft, Given, Routing
from bot.services.runs import get_run
from bot.slack.authz import sop_manager_channel
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.feedback import blocks, views
from bot.slack.feedback.blocks import NOTICES
from bot.slack.feedback.form import draft_from, field_errors, form_values
from bot.slack.feedback.views import Form
from bot.slack.kit.notices import NONE_TO_OPEN, none_to_open, plain_notice
from bot.slack.payload import Caller

MAX_OPTIONS = 100
UNDO_MINUTES = int(giving.UNDO_WINDOW.total_seconds() // 60)


class FeedbackDesk:
    """Where people give feedback: one method per command, form or button."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx = ctx
        self.runtime, self.client, self.access = ctx.runtime, ctx.client, ctx.access
        self.people, self.render = ctx.people, ctx.renderers.feedback

    def routing(self, slug: str | None) -> Routing:
        """Where feedback on the SOP goes besides its owner (its `managers:` channel, if any)."""
        channel = sop_manager_channel(self.ctx, slug)
        return Routing(manager_channel=channel, admins=self.runtime.settings.admins)

    def form(self, *, viewer: Viewer | None = None, slug: str | None = None, **values: Any) -> Form:
        """The form for `slug` (default: the SOP of the viewer's latest run), with `values`."""
        revision = values.pop("revision", None)
        with self.runtime.database.session() as session:
            if slug is None and viewer is not None:
                slug = lists.last_run_slug(session, user_id=viewer.user_id)
        if slug and viewer is not None and not self.access.may_open(viewer, slug):
            slug = None  # an SOP the person may no longer see is not offered
        with self.runtime.database.session() as session:
            found = giving.target(session, slug=slug, revision=revision) if slug else None
        if found is None:
            return Form(**values)
        return Form(
            slug=found.slug,
            sop_title=found.title,
            revision=found.revision,
            steps=found.steps,
            **values,
        )

    def open_form(self, *, trigger_id: str, form: Form) -> None:
        """Show the form (the trigger must be at most 3 seconds old)."""
        self.client.views_open(trigger_id=trigger_id, view=views.feedback_form(form))

    def sop_options(self, query: str, *, caller: Caller) -> list[dict]:
        """The SOPs offered as the person types: search hits and title matches, else all A-Z."""
        snapshot = self.access.snapshot(self.access.viewer(caller))
        entries = sorted(snapshot.entries, key=lambda e: e.sop.title.casefold())
        if typed := query.strip().casefold():
            hits = [snapshot.get(h.slug) for h in snapshot.index.search(query, limit=20)]
            named = [e for e in entries if typed in e.sop.title.casefold() or typed in e.slug]
            entries = list(dict.fromkeys([*(e for e in hits if e is not None), *named]))
        return [views.sop_option(e.slug, e.sop.title) for e in entries[:MAX_OPTIONS]]

    def switch_sop(self, *, view: dict[str, Any], slug: str, caller: Caller) -> None:
        """Show the steps of the newly chosen SOP, keeping what was typed."""
        if self.access.may_open(self.access.viewer(caller), slug):
            form = self.form(slug=slug, **form_values(view))
        else:  # a forged choice: the form without an SOP
            form = Form(**form_values(view), note=NONE_TO_OPEN)
        try:
            self.client.views_update(
                view_id=view["id"], hash=view.get("hash"), view=views.feedback_form(form)
            )
        except SlackApiError as exc:
            # A quicker second choice already changed the view; that update wins.
            if exc.response.get("error") != "hash_conflict":
                raise

    def submit(self, *, view: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The ack for a submitted form: errors under the fields, or the thanks view."""
        viewer = self.access.viewer(caller)
        given = self._give(draft_from(view), viewer=viewer, source_key=f"view:{view.get('id')}")
        if given.item is None:
            return {"response_action": "errors", "errors": field_errors(view, given.problems)}
        recipient = blocks.recipients(
            given, manager_channel=self.routing(given.item.slug).manager_channel
        )
        return {"response_action": "update", "view": views.thanks(given.item, recipient=recipient)}

    def _give(self, draft: Draft, *, viewer: Viewer, source_key: str | None = None) -> Given:
        if draft.slug and not self.access.may_open(viewer, draft.slug):
            return Given("invalid", problems={"sop": NONE_TO_OPEN})
        with self.runtime.database.session() as session:
            found = giving.target(session, slug=draft.slug, revision=draft.revision)
        if problems := giving.check(draft, found):
            return Given("invalid", problems=problems)
        assert found is not None
        # Looked up outside the write transaction: no Slack call while holding the write lock.
        owner_id = self.people.active_user(found.owner) if found.owner else None
        routing = self.routing(found.slug)
        with self.runtime.database.session() as session:
            return giving.give(
                session,
                draft=draft,
                user_id=viewer.user_id,
                owner_id=owner_id,
                routing=routing,
                render=self.render,
                now=self.runtime.clock(),
                quota_secret=self.runtime.quota_secret,
                source_key=source_key,
            )

    def one_line(self, *, text: str, viewer: Viewer, trigger_id: str, respond: Respond) -> None:
        """`/feedback SOP STEP TEXT`: record it and offer Undo, or open the form to finish it."""
        line = giving.parse_line(text)
        snapshot = self.access.snapshot(viewer)
        found = snapshot.resolve(line.query)
        entry, candidates = found.entry, found.candidates
        steps = len(entry.sop.steps) if entry else 0
        in_range = line.step is not None and 1 <= line.step <= steps
        if entry and in_range and line.text.strip():
            draft = Draft(entry.slug, line.step, line.kind, line.text, revision=entry.revision)
            given = self._give(draft, viewer=viewer)
            if given.item is None:
                reply(respond, plain_notice(" ".join(given.problems.values())))
                return
            recipient = blocks.recipients(
                given, manager_channel=self.routing(given.item.slug).manager_channel
            )
            confirmation = blocks.confirmation(
                given.item, recipient=recipient, undo_minutes=UNDO_MINUTES
            )
            reply(respond, confirmation)
            return
        # Not sure what was meant: the form, prefilled with what was understood, says why.
        if entry is None and candidates:
            titles = ", ".join(e.sop.title for e in candidates[:3])
            why = f"“{line.query}” could be {titles}. Which one?"
        elif entry is None and not self.access.sees_all(viewer):
            why = f"No SOP you can open matches “{line.query}”. Pick one below."
        elif entry is None:
            why = f"No SOP matches “{line.query}”. Pick one below."
        elif not in_range:
            why = f"{entry.sop.title} has {steps} steps. Pick the one you mean."
        else:
            why = "Write your feedback below."
        text_so_far = line.text if line.step is not None else ("" if entry else line.query)
        form = self.form(
            slug=entry.slug if entry else None,
            step=line.step if in_range else None,
            kind=line.kind,
            text=text_so_far,
            note=why[:500],
        )
        self.open_form(trigger_id=trigger_id, form=form)

    def from_run(
        self, *, run_id: int, step: int, trigger_id: str, caller: Caller, respond: Respond
    ) -> None:
        """Feedback on this step (a run's button): the form for its SOP, revision and step."""
        with self.runtime.database.session() as session:
            run = get_run(session, run_id=run_id)
        if run is None:
            return
        if not self.access.may_open(self.access.viewer(caller), run.slug):
            reply(respond, none_to_open())
            return
        # Suggested wording starts from the step as it is, ready to be reworded.
        body = run.sop.step(step).body if 1 <= step <= len(run.sop.steps) else ""
        form = self.form(slug=run.slug, revision=run.revision, step=step, suggestion=body)
        if form.slug is None:
            form = Form(note=f"{run.sop.title} is no longer published; pick another SOP.")
        self.open_form(trigger_id=trigger_id, form=form)

    def undo(self, *, feedback_id: int, user_id: str, respond: Respond) -> None:
        """Take back one-line feedback within ten minutes."""
        with self.runtime.database.session() as session:
            done = handling.withdraw(
                session,
                feedback_id=feedback_id,
                user_id=user_id,
                render=self.render,
                now=self.runtime.clock(),
            )
        if done.verdict == "ok" and done.item is not None:
            reply(respond, blocks.withdrawn(done.item), replace=True)
        else:
            reply(respond, plain_notice(NOTICES[done.verdict]))
