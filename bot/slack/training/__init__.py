"""Training: quizzes in the DM, `/sop training`, and "Your training" on the Home tab."""

from bot.slack.training.listeners import register
from bot.slack.training.reports import answer_training, home_section

__all__ = ["answer_training", "home_section", "register"]
