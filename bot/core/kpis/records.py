"""The plain records the KPI maths reads; the persistence layer maps its rows to these.

All datetimes are aware (UTC). Nothing here is validated per record: a million records
must stay cheap, and comparing a naive datetime with a window raises on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

RunStatus = Literal["active", "completed", "abandoned"]
AssignmentStatus = Literal["pending", "overdue", "current", "superseded"]
FeedbackKind = Literal["problem", "suggestion", "question", "praise"]
FeedbackStatus = Literal["open", "acknowledged", "resolved", "wont_fix"]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One person's run of one SOP revision.

    `step_seconds` is the time spent on each step number, summed over visits. For an
    abandoned run `stopped_at_step` is where it stopped (None: its `current_step`).
    `is_current_revision` says whether the run's revision was the SOP's current one when
    the run ended (or now, for an active run): False means it followed an outdated text.
    `expected_seconds` is the `Time:` the run's revision gave each step that has one.
    """

    run_id: int
    sop: str
    revision: int
    user: str
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    current_step: int
    step_seconds: Mapping[int, float]
    stopped_at_step: int | None
    is_current_revision: bool
    expected_seconds: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LookupRecord:
    """One `/sop` search; `sop` is the SOP it led to, if any."""

    at: datetime
    user: str
    query: str
    hit: bool
    sop: str | None


class AssignmentRecord(NamedTuple):
    """One person's training on one revision; `status` is as of now.

    A NamedTuple rather than a frozen dataclass: a digest builds one per assignment ever
    made (25,000 in bench/digest.py), and a tuple is three times faster to make.
    """

    sop: str
    revision: int
    user: str
    user_name: str
    assigned_at: datetime
    status: AssignmentStatus
    passed_at: datetime | None
    revision_published_at: datetime


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One answer in a quiz attempt; `step` is the step the question is tied to."""

    question_number: int
    step: int | None
    correct: bool


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One quiz attempt; `attempt_number` counts from 1 per person and revision."""

    sop: str
    revision: int
    user: str
    attempt_number: int
    started_at: datetime
    passed: bool
    answers: Sequence[AnswerRecord]


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """Feedback on one step; `resolved_at` is when it was resolved or declined (wont_fix)."""

    id: int
    sop: str
    revision: int
    step: int | None
    kind: FeedbackKind
    status: FeedbackStatus
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class SopInfo:
    """What the KPIs need to know about a current SOP."""

    slug: str
    title: str
    tags: Sequence[str]
    review_every_days: int | None
    last_revision_at: datetime
    last_reviewed_at: datetime | None
    audience_size: int
    step_titles: Sequence[str]
    current_revision: int
    expected_seconds: Sequence[int | None] = ()  # per step of the current revision: `Time:`
