"""Giving feedback on a step: what was meant, the hourly limit, storing it and routing it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.model import Sop
from bot.db import feedback as repo
from bot.db import outbox
from bot.db import sops as sop_repo
from bot.db.events import append_event
from bot.db.feedback import OPEN, Feedback, FeedbackRoute
from bot.db.models import Revision
from bot.services import feedback_quota as quota
from bot.services.feedback_quota import RATE_LIMIT

log = logging.getLogger(__name__)

KINDS = ("problem", "suggestion", "question", "praise")
MAX_TEXT = 3000
UNDO_WINDOW = timedelta(minutes=10)
LIMIT_MESSAGE = (
    f"That's {RATE_LIMIT} pieces of feedback from you this hour, the most sopbot takes. "
    "Thank you for caring! Please try again next hour, or gather the rest into one note."
)
Message = dict[str, Any]  # {"text": ..., "blocks": [...]}, as the Slack layer renders it

MAX_LINE = 4_000  # the Slack layer refuses longer commands before they get here
# A step is the first whole word of 1-4 digits after the SOP's words. Found by scanning once:
# `(?P<query>.+?)\s+(?P<step>\d{1,4})`, the obvious pattern, backtracks over every run of
# spaces once per start position, quadratic in a long run of them.
_STEP = re.compile(r"(?<=\s)\d{1,4}(?!\S)")
_KIND_PREFIX = re.compile(rf"^({'|'.join(KINDS)})\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class FeedbackItem:
    """One feedback item, detached from the database; `author_id` is None when anonymous."""

    feedback_id: int
    slug: str
    sop_title: str
    revision: int
    step_number: int
    step_title: str
    kind: str
    text: str
    author_id: str | None
    status: str
    created_at: datetime
    reason: str | None = None
    handled_by: str | None = None
    addressed_in: int | None = None
    owner: str | None = None  # the SOP's owner as written in the file (user ID or e-mail)
    suggestion: str | None = None  # the step's Markdown as the author would have it
    step_body: str = ""  # the step's Markdown in the revision the feedback is on

    @property
    def is_open(self) -> bool:
        """Still waiting for the owner: open or acknowledged."""
        return self.status in repo.UNHANDLED


@dataclass(frozen=True)
class Target:
    """The SOP revision feedback is about, with its steps."""

    record_id: int
    workspace_id: int
    slug: str
    title: str
    revision_id: int
    revision: int
    steps: tuple[tuple[int, str], ...]
    owner: str | None


@dataclass(frozen=True)
class Draft:
    """What a person submitted; `revision` None means the current one."""

    slug: str | None
    step: int | None
    kind: str
    text: str
    anonymous: bool = False
    revision: int | None = None
    suggestion: str = ""  # suggested wording of the step; blank or unchanged means none


@dataclass(frozen=True)
class Line:
    """`/feedback SOP STEP TEXT` taken apart."""

    query: str
    step: int | None
    text: str
    kind: str


@dataclass(frozen=True)
class Routing:
    """Where feedback goes besides the owner."""

    manager_channel: str | None
    admins: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FeedbackRenderers:
    """Message builders from the Slack layer, so this module stays free of Block Kit."""

    routed: Callable[[FeedbackItem, str], Message]  # (item, note) -> the handling message
    status_update: Callable[[FeedbackItem], Message]  # the DM to the author


@dataclass(frozen=True)
class Given:
    """What giving feedback did; `problems` maps a form field to what to fix."""

    verdict: Literal["ok", "invalid", "limited", "duplicate"]
    item: FeedbackItem | None = None
    problems: dict[str, str] = field(default_factory=dict)
    recipients: tuple[str, ...] = ()
    owner_reached: bool = False


def parse_line(text: str) -> Line:
    """Split `refund 3 the link is dead` into SOP query, step and text (kind from a prefix)."""
    if len(text) > MAX_LINE:
        raise ValueError(f"a feedback line is at most {MAX_LINE} characters, not {len(text)}")
    text = text.strip()
    match = _STEP.search(text)
    if match is None:
        return Line(query=text, step=None, text="", kind="problem")
    body = text[match.end() :].strip()
    kind = "problem"
    if prefix := _KIND_PREFIX.match(body):
        kind, body = prefix[1].lower(), body[prefix.end() :]
    return Line(query=text[: match.start()].strip(), step=int(match[0]), text=body, kind=kind)


def target(session: Session, *, slug: str | None, revision: int | None = None) -> Target | None:
    """The live SOP `slug` at `revision` (default: current); None if unknown or retired."""
    if not slug:
        return None
    workspace = sop_repo.default_workspace(session)
    record = sop_repo.get_sop(session, workspace_id=workspace.id, slug=slug)
    if record is None or record.retired_at is not None or record.current_revision is None:
        return None
    found = record.current_revision
    if revision is not None and revision != found.number:
        found = sop_repo.get_revision(session, sop_id=record.id, number=revision) or found
    sop = Sop.from_dict(found.content)
    return Target(
        record_id=record.id,
        workspace_id=record.workspace_id,
        slug=record.slug,
        title=sop.title,
        revision_id=found.id,
        revision=found.number,
        steps=tuple((s.number, s.title) for s in sop.steps),
        owner=record.owner,
    )


def check(draft: Draft, found: Target | None) -> dict[str, str]:
    """What is wrong with a draft, by field (`sop`, `step`, `kind`, `text`); empty when fine."""
    problems: dict[str, str] = {}
    if found is None:
        problems["sop"] = (
            "That SOP is no longer published; pick another." if draft.slug else "Pick an SOP."
        )
    elif draft.step is None:
        problems["step"] = "Pick the step your feedback is about."
    elif not 1 <= draft.step <= len(found.steps):
        problems["step"] = f"v{found.revision} has {len(found.steps)} steps; pick one of them."
    if draft.kind not in KINDS:
        problems["kind"] = "Pick problem, suggestion, question or praise."
    if not draft.text.strip():
        problems["text"] = "Write what the owner should know (spaces alone are not feedback)."
    elif len(draft.text) > MAX_TEXT:
        problems["text"] = (
            f"That is {len(draft.text):,} characters; the most is {MAX_TEXT:,}. Please shorten it."
        )
    if len(draft.suggestion) > MAX_TEXT:
        problems["suggestion"] = (
            f"That is {len(draft.suggestion):,} characters; the most is {MAX_TEXT:,}."
        )
    return problems


def step_body(revision: Revision, number: int) -> str:
    """A step's Markdown (without its Role line) as stored in a revision."""
    steps = revision.content.get("steps", [])
    return str(steps[number - 1].get("body", "")) if 1 <= number <= len(steps) else ""


def _suggestion(draft: Draft, current: str) -> str | None:
    """The suggested wording, unless blank or the step as it is."""
    words = draft.suggestion.replace("\r\n", "\n").strip("\n")
    if not words.strip() or " ".join(words.split()) == " ".join(current.split()):
        return None
    return words


def item_of(fb: Feedback) -> FeedbackItem:
    """A stored item as a detached value."""
    revision: Revision = fb.revision
    steps = revision.content.get("steps", [])
    step_title = steps[fb.step_number - 1]["title"] if fb.step_number <= len(steps) else "?"
    body = step_body(revision, fb.step_number)
    addressed = fb.addressed_revision
    return FeedbackItem(
        feedback_id=fb.id,
        slug=fb.sop.slug,
        sop_title=revision.content.get("title", fb.sop.title),
        revision=revision.number,
        step_number=fb.step_number,
        step_title=step_title,
        kind=fb.kind,
        text=fb.text,
        author_id=fb.author_id,
        status=fb.status,
        created_at=fb.created_at,
        reason=fb.status_reason,
        handled_by=fb.handled_by,
        addressed_in=addressed.number if addressed is not None else None,
        owner=fb.sop.owner,
        suggestion=fb.suggestion,
        step_body=body,
    )


def give(
    session: Session,
    *,
    draft: Draft,
    user_id: str,
    owner_id: str | None,
    routing: Routing,
    render: FeedbackRenderers,
    now: datetime,
    quota_secret: bytes,
    source_key: str | None = None,
) -> Given:
    """Store feedback (no author when anonymous) and route it; the 21st in a clock hour is refused.

    `quota_secret` keys the limiter's hashes; it must not be stored (see feedback_quota).
    """
    found = target(session, slug=draft.slug, revision=draft.revision)
    if problems := check(draft, found):
        return Given("invalid", problems=problems)
    assert found is not None and draft.step is not None
    if source_key is not None:
        earlier = session.scalars(select(Feedback).where(Feedback.source_key == source_key))
        if (done := earlier.first()) is not None:
            return Given("duplicate", item_of(done))
    admitted = quota.admit(
        session,
        secret=quota_secret,
        workspace_id=found.workspace_id,
        user_id=user_id,
        anonymous=draft.anonymous,
        now=now,
    )
    if not admitted:
        return Given("limited", problems={"text": LIMIT_MESSAGE})
    fb = Feedback(
        workspace_id=found.workspace_id,
        sop_id=found.record_id,
        revision_id=found.revision_id,
        step_number=draft.step,
        kind=draft.kind,
        text=draft.text.strip(),
        suggestion=None,
        anonymous=draft.anonymous,
        author_id=None if draft.anonymous else user_id,
        status=OPEN,
        version=0,
        created_at=now,
        source_key=source_key,
    )
    session.add(fb)
    session.flush()
    fb.suggestion = _suggestion(draft, step_body(fb.revision, draft.step))
    append_event(
        session,
        workspace_id=found.workspace_id,
        at=now,
        kind="feedback",
        user_id=fb.author_id,
        sop_id=found.record_id,
        revision_id=found.revision_id,
        step_number=draft.step,
        data={"kind": draft.kind, "feedback_id": fb.id},
    )
    item = item_of(fb)
    recipients = _route(
        session, fb, item, owner_id=owner_id, routing=routing, render=render, now=now
    )
    # No person in this line, whoever gave it: anonymous items must not be traceable in logs.
    log.info(
        "feedback %s on %s step %s routed to %d", fb.id, found.slug, draft.step, len(recipients)
    )
    return Given("ok", item, recipients=recipients, owner_reached=owner_id is not None)


def _route(
    session: Session,
    fb: Feedback,
    item: FeedbackItem,
    *,
    owner_id: str | None,
    routing: Routing,
    render: FeedbackRenderers,
    now: datetime,
) -> tuple[str, ...]:
    """Queue the handling message to the owner (or a fallback) and, for problems, managers."""
    plan: list[tuple[str, str, str]] = []  # (recipient, route name, note)
    channel = routing.manager_channel
    if owner_id is not None:
        plan.append((owner_id, "owner", ""))
    elif channel is not None:
        plan.append(
            (channel, "managers", "Sent here because the SOP's owner could not be reached.")
        )
    else:
        note = "Sent to you (an sopbot admin) because the SOP's owner could not be reached."
        plan += [(admin, f"admin-{admin}", note) for admin in sorted(routing.admins)]
    if item.kind == "problem" and channel is not None and channel not in [p[0] for p in plan]:
        plan.append((channel, "managers", ""))
    for recipient, name, note in plan:
        key = f"feedback:{fb.id}:{name}"
        message = render.routed(item, note)
        address = {"channel_id": recipient} if recipient[0] in "CGD" else {"user_id": recipient}
        outbox.enqueue(
            session,
            key=key,
            workspace_id=fb.workspace_id,
            text=message["text"],
            blocks=message.get("blocks"),
            now=now,
            **address,
        )
        session.add(FeedbackRoute(feedback_id=fb.id, key=key, recipient=recipient))
    return tuple(recipient for recipient, _, _ in plan)
