"""Every message builder the services take from the Slack layer, bundled for jobs and wiring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.kpis import Digest
from bot.services.feedback import FeedbackRenderers
from bot.services.scheduled_runs import ScheduledRenderers
from bot.services.sop_review import StaleNudge
from bot.services.training import TrainingRenderers

Message = dict[str, Any]  # {"text": ..., "blocks": [...]}, as the Slack layer renders it


@dataclass(frozen=True)
class Renderers:
    """Built once by bot/slack/renderers.py; services keep Block Kit out by taking these."""

    training: TrainingRenderers
    feedback: FeedbackRenderers
    digest: Callable[[Digest, bool], Message]  # (digest, with_chart) -> the daily digest
    stale_nudge: Callable[[StaleNudge], Message]  # the DM asking an owner to review an SOP
    scheduled: ScheduledRenderers  # a scheduled run's post, reminders and escalation
