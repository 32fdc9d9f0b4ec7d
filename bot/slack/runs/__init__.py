"""Runs: following an SOP step by step in a thread (Start, Done, Back, Stop, Continue)."""

from bot.slack.runs.listeners import register

__all__ = ["register"]
