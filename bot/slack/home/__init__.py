"""Home: the App Home tab, collecting a section from each feature."""

from bot.slack.home.listeners import register

__all__ = ["register"]
