"""Registers every listener module on the bolt App."""

from slack_bolt import App

from bot.runtime import Runtime
from bot.slack.listeners import actions, commands, events, feedback, kpis, training
from bot.slack.runner import Runner


def register(app: App, runtime: Runtime, runner: Runner) -> None:
    """Attach the command, action and event listeners."""
    commands.register(app, runtime, runner)
    actions.register(app, runtime, runner)
    events.register(app, runtime, runner)
    training.register(app, runtime, runner)
    feedback.register(app, runtime, runner)
    kpis.register(app, runtime, runner)
