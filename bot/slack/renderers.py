"""The message builders the services and jobs need, built once from the features' blocks."""

from __future__ import annotations

from bot.services.feedback import FeedbackRenderers
from bot.services.renderers import Renderers
from bot.services.scheduled_runs import ScheduledRenderers
from bot.services.training import TrainingRenderers
from bot.slack.feedback import blocks as feedback
from bot.slack.kpis import blocks as digest
from bot.slack.kpis import views as digest_views
from bot.slack.runs import schedule_blocks
from bot.slack.training import blocks as training
from bot.slack.training import lists as training_lists


def build_renderers() -> Renderers:
    """Every renderer the services take, so none can be forgotten by a caller."""
    return Renderers(
        training=TrainingRenderers(
            invitation=training.invitation,
            unresolved=training_lists.unresolved_notice,
            reminder=training.reminder,
            overdue=training_lists.overdue_notice,
        ),
        feedback=FeedbackRenderers(
            routed=lambda item, note: feedback.routed_message(item, note=note),
            status_update=feedback.status_update,
        ),
        digest=lambda report, with_chart: digest.digest_message(report, with_chart=with_chart),
        stale_nudge=digest_views.stale_nudge,
        scheduled=ScheduledRenderers(
            post=schedule_blocks.scheduled_post,
            reminder=schedule_blocks.reminder,
            reminder_dm=schedule_blocks.reminder_dm,
            escalation=schedule_blocks.escalation,
        ),
    )
