"""The playground: the real bot against a simulated Slack workspace, shown in a browser."""
