"""A simulated Slack workspace: a faithful fake Web API and a driver that plays Slack to the bot.

Stdlib and slack_sdk only, because `sopbot play` serves it to a browser as well as tests.
"""

from bot.slacksim.clock import ManualClock
from bot.slacksim.seed import default_workspace
from bot.slacksim.server import DEFAULT_TOKEN, FakeSlack
from bot.slacksim.transcript import Call
from bot.slacksim.workspace import APP_ID, BOT_ID, BOT_USER_ID, TEAM_ID, Workspace

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_TOKEN",
    "TEAM_ID",
    "Call",
    "FakeSlack",
    "ManualClock",
    "Workspace",
    "default_workspace",
]
