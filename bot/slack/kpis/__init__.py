"""KPIs: `/sop kpis`, `/sop config`, the daily digest's views and the review nudge."""

from bot.slack.kpis.answers import answer_config, answer_kpis, home_section
from bot.slack.kpis.listeners import register

__all__ = ["answer_config", "answer_kpis", "home_section", "register"]
