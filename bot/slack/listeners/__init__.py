"""Registers every listener module on the bolt App."""

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, feedback, kpis, training
from bot.slack.runner import Runner
from bot.wiring import Services


def register(app: App, services: Services, runner: Runner) -> None:
    """Attach the command, action and event listeners."""
    commands.register(app, services, runner)
    actions.register(app, services, runner)
    events.register(app, services, runner)
    training.register(app, services, runner)
    feedback.register(app, services, runner)
    kpis.register(app, services, runner)
