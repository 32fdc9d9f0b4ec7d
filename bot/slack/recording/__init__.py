"""Recording a new SOP by doing it: `/sop record`, its thread and its buttons."""

from bot.slack.recording.flow import Recorder, candidate
from bot.slack.recording.listeners import answer_record, register

__all__ = ["Recorder", "answer_record", "candidate", "register"]
