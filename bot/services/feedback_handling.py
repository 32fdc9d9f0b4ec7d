"""Handling feedback: acknowledge, resolve, won't fix, undo, and linking it to new revisions."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.diff import diff_sops
from bot.core.escape import escape
from bot.core.model import Sop
from bot.db import feedback as repo
from bot.db import outbox
from bot.db import sops as sop_repo
from bot.db.feedback import (
    ACKNOWLEDGED,
    OPEN,
    RESOLVED,
    UNHANDLED,
    WITHDRAWN,
    WONT_FIX,
    Feedback,
    FeedbackRoute,
)
from bot.db.models import Revision
from bot.services.feedback import UNDO_WINDOW, FeedbackItem, FeedbackRenderers, item_of

if TYPE_CHECKING:  # publish calls link_feedback, so a runtime import would be circular
    from bot.services.publish import Outcome

log = logging.getLogger(__name__)

Verdict = Literal["ok", "stale", "missing", "not_author", "too_late"]
ALLOWED_FROM = {
    ACKNOWLEDGED: (OPEN,),
    RESOLVED: (OPEN, ACKNOWLEDGED),
    WONT_FIX: (OPEN, ACKNOWLEDGED),
}
MAX_REASON = 500
UNREACHABLE_NOTE = "Sent here because the SOP's owner could not be reached."
ADMIN_NOTE = "Sent to you (an sopbot admin) because the SOP's owner could not be reached."


@dataclass(frozen=True)
class Handled:
    """What a press on a feedback button did, and the item as it is now."""

    verdict: Verdict
    item: FeedbackItem | None = None


def get_item(session: Session, *, feedback_id: int) -> FeedbackItem | None:
    """The item with this ID."""
    fb = session.get(Feedback, feedback_id)
    return item_of(fb) if fb is not None else None


def change_status(
    session: Session,
    *,
    feedback_id: int,
    status: str,
    by: str,
    reason: str | None,
    render: FeedbackRenderers,
    now: datetime,
) -> Handled:
    """Move an open item on (once, however often pressed); update its messages; tell the author."""
    if status not in ALLOWED_FROM:
        raise ValueError(f"cannot move feedback to {status!r}")
    fb = session.get(Feedback, feedback_id)
    if fb is None:
        return Handled("missing")
    reason = (reason or "").strip()[:MAX_REASON] or None
    # Conditional, so a double click or a second manager pressing at once changes it once.
    changed = session.execute(
        update(Feedback)
        .where(Feedback.id == feedback_id, Feedback.status.in_(ALLOWED_FROM[status]))
        .values(
            status=status,
            status_reason=reason,
            handled_by=by,
            status_changed_at=now,
            version=Feedback.version + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(fb)
    item = item_of(fb)
    if not changed:
        return Handled("stale", item)
    _show_everywhere(session, fb, item, render=render, now=now)
    if fb.author_id is not None and fb.author_id != by:
        message = render.status_update(item)
        outbox.enqueue(
            session,
            key=f"feedback:{fb.id}:v{fb.version}:author",
            workspace_id=fb.workspace_id,
            user_id=fb.author_id,
            text=message["text"],
            blocks=message.get("blocks"),
            now=now,
        )
    log.info("feedback %s is now %s", fb.id, status)
    return Handled("ok", item)


def withdraw(
    session: Session, *, feedback_id: int, user_id: str, render: FeedbackRenderers, now: datetime
) -> Handled:
    """Undo: the author takes it back within the window; its text is erased, its messages say so."""
    fb = session.get(Feedback, feedback_id)
    if fb is None:
        return Handled("missing")
    if fb.author_id is None or fb.author_id != user_id:
        return Handled("not_author", item_of(fb))
    if now - fb.created_at > UNDO_WINDOW:
        return Handled("too_late", item_of(fb))
    changed = session.execute(
        update(Feedback)
        .where(Feedback.id == feedback_id, Feedback.status.in_(UNHANDLED))
        .values(
            status=WITHDRAWN,
            text="",
            suggestion=None,
            status_changed_at=now,
            version=Feedback.version + 1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(fb)
    item = item_of(fb)
    if not changed:
        return Handled("stale", item)
    routes = repo.routes_of(session, feedback_id=fb.id)
    # Messages no dispatcher has tried are simply never sent; the others are updated.
    cancelled = outbox.cancel_unsent(session, keys=[route.key for route in routes])
    _show_everywhere(session, fb, item, render=render, now=now, skip=cancelled)
    return Handled("ok", item)


def _note(route: FeedbackRoute, routes: Sequence[FeedbackRoute]) -> str:
    """The note the routed message was first sent with."""
    if ":admin-" in route.key:
        return ADMIN_NOTE
    owner_routed = any(r.key.endswith(":owner") for r in routes)
    return UNREACHABLE_NOTE if route.key.endswith(":managers") and not owner_routed else ""


def _show_everywhere(
    session: Session,
    fb: Feedback,
    item: FeedbackItem,
    *,
    render: FeedbackRenderers,
    now: datetime,
    skip: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Queue a chat.update of every routed message that reached Slack."""
    routes = repo.routes_of(session, feedback_id=fb.id)
    for route in routes:
        if route.key in skip:
            continue
        message = render.routed(item, _note(route, routes))
        sent = outbox.sent_message(session, key=route.key)
        if sent is None:
            # Still in the outbox: it goes out showing the current state. One already on its
            # way shows the old one, and its buttons answer with the current state when pressed.
            outbox.rewrite_unsent(
                session, key=route.key, text=message["text"], blocks=message.get("blocks")
            )
            continue
        channel, ts = sent
        outbox.enqueue_update(
            session,
            key=f"{route.key}:v{fb.version}",
            workspace_id=fb.workspace_id,
            channel_id=channel,
            ts=ts,
            text=message["text"],
            blocks=message.get("blocks"),
            now=now,
        )


def counterpart(old: Sop, new: Sop, number: int) -> int | None:
    """Step `number` of `old` as numbered in `new`; None when it was removed."""
    diff = diff_sops(old, new)
    for change in diff.changes:
        if change.old_number == number:
            return change.new_number
    # Steps without a change entry kept their words and their order on both sides, so the
    # k-th such step of `old` is the k-th such step of `new`.
    old_listed = {c.old_number for c in diff.changes}
    new_listed = {c.new_number for c in diff.changes}
    old_kept = [s.number for s in old.steps if s.number not in old_listed]
    new_kept = [s.number for s in new.steps if s.number not in new_listed]
    pairs = dict(zip(old_kept, new_kept, strict=False))
    return pairs.get(number)


def link_feedback(
    session: Session,
    *,
    outcomes: Sequence[Outcome],
    now: datetime,
    render: FeedbackRenderers,
    told_elsewhere: int | None = None,
) -> int:
    """Mark open feedback whose step a new revision changed, moved or removed; tell authors
    and update the owner's and managers' copies to say so.

    `told_elsewhere`: a feedback item whose author the caller tells itself (an accepted
    suggestion's author hears that their wording was published instead).
    """
    linked = 0
    for outcome in outcomes:
        if outcome.status != "changed" or outcome.diff is None or outcome.revision_id is None:
            continue
        touched = {
            c.old_number
            for c in outcome.diff.changes
            if c.kind in ("changed", "moved", "removed") and c.old_number is not None
        }
        new = session.get(Revision, outcome.revision_id)
        assert new is not None and outcome.old_number is not None
        previous = sop_repo.get_revision(session, sop_id=new.sop_id, number=outcome.old_number)
        if not touched or previous is None:
            continue
        waiting = session.scalars(
            select(Feedback)
            .where(Feedback.sop_id == new.sop_id, Feedback.status.in_(UNHANDLED))
            .where(Feedback.addressed_revision_id.is_(None))
            .order_by(Feedback.id)
        )
        previous_sop = Sop.from_dict(previous.content)
        for fb in waiting:
            number = fb.step_number
            if fb.revision_id != previous.id:
                # Feedback on an older revision: find its step in the one this publish replaced.
                given_on = Sop.from_dict(fb.revision.content)
                number = counterpart(given_on, previous_sop, fb.step_number)
            if number is None or number not in touched:
                continue
            fb.addressed_revision_id, fb.addressed_at = new.id, now
            linked += 1
            fb.version += 1  # a new key for the copies' update
            session.flush()
            _show_everywhere(session, fb, item_of(fb), render=render, now=now)
            if fb.author_id is not None and fb.id != told_elsewhere:
                _tell_author(session, fb, version=new.number, now=now)
    return linked


def _tell_author(session: Session, fb: Feedback, *, version: int, now: datetime) -> None:
    item = item_of(fb)
    # Plain text: the publish path has no Slack layer to render blocks, and needs none.
    line = (
        f"Your feedback on step {item.step_number} of {escape(item.sop_title)} "
        f"led to a change in v{version}"
    )
    words = " ".join(item.text.split())
    said = escape(words[:200]) + ("…" if len(words) > 200 else "")
    outbox.enqueue(
        session,
        key=f"feedback:{fb.id}:addressed:{version}",
        workspace_id=fb.workspace_id,
        user_id=fb.author_id,
        text=f"✏️ {line}. Thank you!\nYou wrote: “{said}”",
        now=now,
    )
