"""Editing SOPs from Slack: `/sop edit`, the step editor, Edit step and Accept suggestion."""

from bot.slack.authoring.home import home_section
from bot.slack.authoring.listeners import answer_edit, register

__all__ = ["answer_edit", "home_section", "register"]
