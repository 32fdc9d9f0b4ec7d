"""Feedback: `/feedback`, its form, the run's "Feedback on this step", and handling it."""

from bot.slack.feedback.inbox import FeedbackInbox
from bot.slack.feedback.listeners import register

__all__ = ["FeedbackInbox", "register"]
