"""Lookup: the `/sop` command, its sub-commands from the other features, and SOP search."""

from bot.slack.lookup.listeners import register

__all__ = ["register"]
