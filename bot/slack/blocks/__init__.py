"""Block Kit builders: pure functions that turn plain values into Slack message and view dicts."""
