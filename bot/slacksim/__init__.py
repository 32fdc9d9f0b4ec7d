"""A simulated Slack workspace: a faithful fake Web API and a driver that plays Slack to the bot.

Stdlib and slack_sdk only, because `sopbot play` serves it to a browser as well as tests.

    with FakeSlack() as fake:                       # seeded team, ephemeral port
        client = fake.client()                      # WebClient(base_url=fake.api_url)
        slack = SlackDriver(fake, bot_url, signing_secret)
        slack.command("maria", "/sop", "refund", channel="support")
        message = fake.wait_for(lambda: fake.messages("support"))[-1]
        slack.click("maria", message, "run.step_done")
"""

from bot.slacksim.clock import ManualClock
from bot.slacksim.driver import DriverResponse, SlackDriver, signed_headers
from bot.slacksim.payloads import NotShown
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
    "DriverResponse",
    "FakeSlack",
    "ManualClock",
    "NotShown",
    "SlackDriver",
    "Workspace",
    "default_workspace",
    "signed_headers",
]
