"""Shared Block Kit: builders, Slack's limits, cards, and the short notices every feature uses."""
