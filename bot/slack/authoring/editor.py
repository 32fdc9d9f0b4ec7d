"""Editing a step from Slack: open the editor, save and publish, then git and training."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.core.edit import StepDraft
from bot.db.models import SopRecord
from bot.services import authoring, edits
from bot.services.authoring import Base, Change, Conflict, Invalid, Refused, Saved
from bot.slack.authoring import blocks
from bot.slack.authoring.after_save import AfterSave
from bot.slack.authoring.blocks import EditorForm
from bot.slack.authz import manager_channels, may_handle_sop
from bot.slack.context import Respond, SlackContext, reply
from bot.slack.ids import Action
from bot.slack.kit.notices import plain_notice

log = logging.getLogger(__name__)


def _state(view: dict[str, Any], block: str, action: Action) -> dict[str, Any]:
    return view.get("state", {}).get("values", {}).get(block, {}).get(str(action), {}) or {}


def typed(view: dict[str, Any]) -> tuple[StepDraft, bool, str]:
    """The draft, the retrain box and the note as typed in the editor."""
    role = (_state(view, blocks.ROLE_BLOCK, Action.EDIT_ROLE).get("selected_option") or {}).get(
        "value"
    )
    boxes = _state(view, blocks.MATERIAL_BLOCK, Action.EDIT_MATERIAL).get("selected_options")
    draft = StepDraft(
        title=_state(view, blocks.TITLE_BLOCK, Action.EDIT_TITLE).get("value") or "",
        role=None if role in (None, blocks.NO_ROLE) else str(role),
        body=_state(view, blocks.BODY_BLOCK, Action.EDIT_BODY).get("value") or "",
    )
    material = any(o.get("value") == blocks.MATERIAL for o in boxes or [])
    return draft, material, _state(view, blocks.NOTE_BLOCK, Action.EDIT_NOTE).get("value") or ""


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The editor's private_metadata (an empty dict when unreadable)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


class StepEditor:
    """One method per way into the editor, and the save that publishes."""

    def __init__(self, ctx: SlackContext) -> None:
        self.ctx, self.runtime = ctx, ctx.runtime

    @property
    def directory(self) -> Path:
        """SOPS_DIR."""
        return self.runtime.settings.sops_dir

    def _record(self, slug: str) -> tuple[int, str, str | None] | None:
        with self.runtime.database.session() as session:
            record = self.runtime.live_sop(session, slug)
            return (record.id, record.title, record.owner) if record is not None else None

    def may_edit(self, user_id: str, owner: str | None, *, slug: str) -> bool:
        """The SOP's owner, its managers (its `managers:` channel too), admins (authz.py)."""
        return may_handle_sop(self.ctx, user_id, owner, slug=slug)

    def refusal(self, title: str, owner: str | None, *, slug: str) -> dict:
        """Who may edit this SOP instead: its `managers:` channel too, where it has one."""
        channels = manager_channels(self.ctx, slug)
        return blocks.refusal(sop_title=title, owner=owner, manager_channels=channels)

    def form(self, slug: str, step: int | None, **extra: Any) -> EditorForm | str:
        """The editor for step `step` of the SOP as its file is now, or why not."""
        with self.runtime.database.session() as session:
            record = self.runtime.live_sop(session, slug)
            if record is None:
                return "That SOP is no longer published."
            try:
                opened = authoring.open_step(
                    session, directory=self.directory, record=record, step=step
                )
            except Refused as exc:
                return f"{record.title} can't be edited from Slack: {exc}."
        if step is not None and not 1 <= step <= len(opened.steps):
            return f"{opened.title} has {len(opened.steps)} steps; there is no step {step}."
        return EditorForm(
            slug=slug,
            sop_title=opened.title,
            kind="edit",
            step=opened.step,
            draft=extra.pop("draft", opened.draft),
            roles=opened.roles,
            material=opened.material_by_default,
            base=opened.base,
            **extra,
        )

    def command(self, *, user_id: str, text: str, trigger_id: str, respond: Respond) -> None:
        """`/sop edit SOP [N]`."""
        words = text.split()
        step = int(words.pop()) if len(words) > 1 and words[-1].isdigit() else None
        query = " ".join(words)
        if not query:
            reply(respond, plain_notice(blocks.usage()))
            return
        with self.runtime.database.session() as session:
            entry = self.runtime.catalog.snapshot(session).resolve(query).entry
        if entry is None:
            reply(respond, plain_notice(f"No SOP clearly matches “{query[:100]}”. Try /sop list."))
            return
        if not self.may_edit(user_id, entry.sop.owner, slug=entry.slug):
            reply(respond, self.refusal(entry.sop.title, entry.sop.owner, slug=entry.slug))
            return
        if step is None:
            steps = tuple(s.title for s in entry.sop.steps)
            view = blocks.picker(slug=entry.slug, sop_title=entry.sop.title, steps=steps)
            self.ctx.client.views_open(trigger_id=trigger_id, view=view)
            return
        self.open(slug=entry.slug, step=step, trigger_id=trigger_id, respond=respond)

    def open(
        self, *, slug: str, step: int, trigger_id: str, respond: Respond, **extra: Any
    ) -> None:
        """Open the editor on one step (the trigger must be under 3 seconds old)."""
        form = self.form(slug, step, **extra)
        if isinstance(form, str):
            reply(respond, plain_notice(form))
            return
        self.ctx.client.views_open(trigger_id=trigger_id, view=blocks.editor(form))

    def picked(self, *, view: dict[str, Any], user_id: str) -> dict[str, Any]:
        """The picker's ack: the editor on the chosen step."""
        chosen = _state(view, blocks.PICK_BLOCK, Action.EDIT_PICK).get("selected_option") or {}
        value = str(chosen.get("value") or "")
        slug = str(metadata(view).get("slug") or "")
        found = self._record(slug)
        if not value.isdigit() or found is None:
            return {"response_action": "errors", "errors": {blocks.PICK_BLOCK: "Pick a step."}}
        if not self.may_edit(user_id, found[2], slug=slug):
            return _errors(blocks.PICK_BLOCK, "Only the SOP's owner and managers can edit it.")
        form = self.form(slug, int(value))
        if isinstance(form, str):
            return _errors(blocks.PICK_BLOCK, form)
        return {"response_action": "update", "view": blocks.editor(form)}

    def from_feedback(
        self,
        *,
        feedback_id: int,
        user_id: str,
        trigger_id: str,
        respond: Respond,
        suggestion: bool = False,
    ) -> None:
        """Edit step (or Edit and accept) on a feedback item: its step in the current revision."""
        with self.runtime.database.session() as session:
            target = edits.feedback_target(session, feedback_id=feedback_id)
        if target is None:
            reply(respond, plain_notice("That SOP is no longer published."))
            return
        with self.runtime.database.session() as session:
            record = session.get(SopRecord, target.record_id)
            title = record.title if record else target.slug
        if not self.may_edit(user_id, target.owner, slug=target.slug):
            reply(respond, self.refusal(title, target.owner, slug=target.slug))
            return
        if target.step is None:
            reply(respond, plain_notice("That step was removed in a later revision."))
            return
        extra: dict[str, Any] = {"feedback_id": feedback_id}
        if suggestion and target.suggestion is not None:
            form = self.form(target.slug, target.step)
            if isinstance(form, str):
                reply(respond, plain_notice(form))
                return
            extra.update(draft=replace(form.draft, body=target.suggestion), credit=target.author)
        self.open(
            slug=target.slug, step=target.step, trigger_id=trigger_id, respond=respond, **extra
        )

    def accept(self, *, feedback_id: int, user_id: str, respond: Respond) -> None:
        """Accept suggestion: publish the suggested wording through the same path as an edit."""
        with self.runtime.database.session() as session:
            target = edits.feedback_target(session, feedback_id=feedback_id)
        if target is None or target.suggestion is None:
            reply(respond, plain_notice("That suggestion can no longer be accepted."))
            return
        form = self.form(target.slug, target.step) if target.step else "That step was removed."
        if isinstance(form, str):
            reply(respond, plain_notice(form))
            return
        if not self.may_edit(user_id, target.owner, slug=target.slug):
            reply(respond, self.refusal(form.sop_title, target.owner, slug=target.slug))
            return
        if " ".join(form.draft.body.split()) != " ".join(target.based_on.split()):
            # Someone reworded the step since: accepting would silently undo their change.
            reply(respond, plain_notice(blocks.step_moved_on(form.step)))
            return
        change = Change(
            kind="edit",
            step=form.step,
            draft=replace(form.draft, body=target.suggestion),
            material=None,  # as the publish rule decides, as for a change to the file
            note="suggested wording accepted",
            editor=user_id,
            credit=target.author,
            feedback_id=feedback_id,
        )
        result = self.save_change(record_id=target.record_id, change=change, base=form.base)
        if isinstance(result, Saved):
            text = blocks.accepted_notice(result, credit=target.author)
        elif isinstance(result, Conflict):
            text = "The SOP changed while saving; press Accept suggestion again."
        else:
            text = "The suggestion would break the SOP: " + " ".join(result.problems.values())
        reply(respond, plain_notice(text))

    def submitted(self, *, view: dict[str, Any], user_id: str) -> dict[str, Any]:
        """The editor's ack: errors under fields, the conflict (text kept), or the diff."""
        meta = metadata(view)
        draft, material, note = typed(view)
        slug = str(meta.get("slug") or "")
        found = self._record(slug)
        if found is None:
            return _errors(blocks.TITLE_BLOCK, "That SOP is no longer published.")
        record_id, title, owner = found
        if not self.may_edit(user_id, owner, slug=slug):
            return _errors(blocks.TITLE_BLOCK, "Only the SOP's owner and managers can edit it.")
        kind = "add" if meta.get("kind") == "add" else "edit"
        change = Change(
            kind=kind,
            step=int(meta.get("step") or 1),
            draft=draft,
            material=material,
            note=note,
            editor=user_id,
            credit=meta.get("credit"),
            feedback_id=meta.get("fb"),
        )
        base = Base(revision=int(meta.get("rev") or 0), file_digest=str(meta.get("file") or ""))
        result = self.save_change(record_id=record_id, change=change, base=base)
        if isinstance(result, Invalid):
            errors = {
                blocks.FIELD_BLOCKS.get(k, blocks.BODY_BLOCK): v for k, v in result.problems.items()
            }
            return {"response_action": "errors", "errors": errors}
        if isinstance(result, Conflict):
            return {"response_action": "update", "view": self._conflict(meta, change, result)}
        return {"response_action": "update", "view": _saved_view(result, change)}

    def removed(self, *, view: dict[str, Any], user_id: str) -> None:
        """Remove step N (confirmed in Slack's dialog): publish, then show the diff."""
        meta = metadata(view)
        _, material, note = typed(view)
        slug = str(meta.get("slug") or "")
        found = self._record(slug)
        if found is None or not self.may_edit(user_id, found[2], slug=slug):
            return
        change = Change(
            kind="remove",
            step=int(meta.get("step") or 1),
            draft=None,
            material=material,
            note=note,
            editor=user_id,
        )
        base = Base(revision=int(meta.get("rev") or 0), file_digest=str(meta.get("file") or ""))
        result = self.save_change(record_id=found[0], change=change, base=base)
        if isinstance(result, Saved):
            new = _saved_view(result, change)
        elif isinstance(result, Conflict):
            new = self._conflict(meta, replace(change, kind="edit", draft=typed(view)[0]), result)
        else:
            form = self.form(str(meta["slug"]), change.step, draft=typed(view)[0])
            if isinstance(form, str):
                return
            banner = "⚠️ Removing it would break the SOP: " + " ".join(result.problems.values())
            new = blocks.editor(replace(form, banner=banner))
        self._update(view, new)

    def add_after(self, *, view: dict[str, Any], user_id: str) -> None:
        """Add a step after N: the editor, empty, for the new step."""
        meta = metadata(view)
        form = self.form(str(meta.get("slug") or ""), int(meta.get("step") or 1))
        if isinstance(form, str):
            return
        if not self.may_edit(user_id, self._owner(form.slug), slug=form.slug):
            return
        empty = StepDraft(title="", role=None, body="")
        self._update(view, blocks.editor(replace(form, kind="add", draft=empty)))

    def _owner(self, slug: str) -> str | None:
        found = self._record(slug)
        return found[2] if found else None

    def _update(self, view: dict[str, Any], new: dict[str, Any]) -> None:
        try:
            self.ctx.client.views_update(view_id=view["id"], hash=view.get("hash"), view=new)
        except SlackApiError as exc:
            if exc.response.get("error") != "hash_conflict":
                raise

    def _conflict(self, meta: dict[str, Any], change: Change, conflict: Conflict) -> dict:
        """The editor again with what was typed, now based on the current SOP."""
        form = self.form(str(meta.get("slug")), change.step)
        if isinstance(form, str):
            return blocks.gone(form)
        banner = blocks.conflict_banner(number=conflict.number, editor=conflict.editor)
        return blocks.editor(
            replace(
                form,
                kind=change.kind if change.kind != "remove" else "edit",
                draft=change.draft or form.draft,
                material=form.material if change.material is None else change.material,
                note=change.note,
                credit=change.credit,
                feedback_id=change.feedback_id,
                banner=banner,
            )
        )

    def save_change(
        self, *, record_id: int, change: Change, base: Base
    ) -> Saved | Conflict | Invalid:
        """Publish under the lock; the file is replaced once the revision is committed."""
        pending = None
        try:
            with self.runtime.database.session() as session:
                result = authoring.save(
                    session,
                    directory=self.directory,
                    record_id=record_id,
                    change=change,
                    base=base,
                    now=self.runtime.clock(),
                    renderers=self.ctx.renderers.feedback,
                )
                if isinstance(result, Saved):
                    pending = result.pending
        except BaseException:
            if pending is not None:
                pending.discard()
            raise
        if isinstance(result, Saved):
            result.pending.apply()
            self.ctx.later(AfterSave(self.ctx).run, result, change)
        return result


def _errors(block: str, text: str) -> dict[str, Any]:
    return {"response_action": "errors", "errors": {block: text}}


def _saved_view(saved: Saved, change: Change) -> dict:
    outcome = saved.outcome
    material = bool(outcome.diff and outcome.diff.material)
    return blocks.saved(
        sop_title=saved.title,
        number=outcome.new_number or 0,
        what=saved.what,
        material=material,
        note=change.note,
        lines=list(saved.lines),
        credit=change.credit,
    )
