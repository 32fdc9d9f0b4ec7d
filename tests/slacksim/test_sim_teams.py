"""Which team each payload names, as Slack does in Slack Connect channels and for other installs.

Eve is from Acme and in #acme-shared; the app is installed in the SOP Team (T0SOPBOT1).
"""

from __future__ import annotations

from slack_bolt import App

from bot.slacksim import TEAM_ID, FakeSlack
from bot.slacksim.driver import SlackDriver
from bot.slacksim.seed import ACME_SHARED, ACME_TEAM
from tests.slacksim.test_sim_driver import FEEDBACK_MODAL, RUN_BUTTONS

OTHER = "T0OTHER001"


def capture(app: App) -> list[tuple[dict, str | None]]:
    """Every request's body and the installing team bolt reads from it."""
    seen: list[tuple[dict, str | None]] = []

    @app.middleware
    def keep(body, context, next):
        seen.append((body, context.team_id))
        return next()

    return seen


def posted_in_the_shared_channel(fake: FakeSlack) -> dict:
    fake.client().chat_postMessage(channel=ACME_SHARED, text="Step 1", blocks=RUN_BUTTONS)
    return fake.messages(ACME_SHARED)[-1]


def test_interactions_carry_the_persons_own_team_and_the_installing_one(
    app: App, driver: SlackDriver, fake: FakeSlack
) -> None:
    seen = capture(app)

    @app.command("/sop")
    def sop(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=FEEDBACK_MODAL)

    app.action("run.step_done")(lambda ack: ack())
    app.view("feedback")(lambda ack: ack())

    driver.click("eve", posted_in_the_shared_channel(fake), "run.step_done")
    (click, installing) = seen[-1]
    assert click["user"]["team_id"] == ACME_TEAM and click["team"]["id"] == TEAM_ID
    assert installing == TEAM_ID

    driver.command("eve", "/sop", "feedback", channel="acme-shared")
    (command, installing) = seen[-1]
    assert command["team_id"] == TEAM_ID and installing == TEAM_ID  # nothing of Acme in it

    view = fake.wait_for(lambda: fake.open_view("eve"))
    driver.submit_view("eve", view, {"why": "unclear"})
    (submission, installing) = seen[-1]
    # Submitted from Acme: `team` is Acme's, the installing workspace is the view's.
    assert submission["team"]["id"] == ACME_TEAM and submission["user"]["team_id"] == ACME_TEAM
    assert submission["view"]["app_installed_team_id"] == TEAM_ID and installing == TEAM_ID


def test_events_name_the_install_in_authorizations(
    app: App, driver: SlackDriver, fake: FakeSlack
) -> None:
    seen = capture(app)
    app.event("app_home_opened")(lambda: None)
    app.event("message")(lambda: None)

    driver.app_home_opened("eve")
    (home, installing) = seen[-1]
    assert home["team_id"] == ACME_TEAM and home["authorizations"][0]["team_id"] == TEAM_ID
    assert installing == TEAM_ID and "user_team" not in home["event"]

    driver.user_message("eve", "acme-shared", "hello")
    (message, installing) = seen[-1]
    assert message["event"]["user_team"] == ACME_TEAM and message["is_ext_shared_channel"]
    assert installing == TEAM_ID


def test_from_another_workspace_every_payload_names_that_install(
    app: App, driver: SlackDriver, fake: FakeSlack
) -> None:
    seen = capture(app)
    app.command("/sop")(lambda ack: ack())
    app.action("run.step_done")(lambda ack: ack())
    app.event("app_home_opened")(lambda: None)
    message = posted_in_the_shared_channel(fake)

    with driver.from_workspace(OTHER):
        driver.command("maria", "/sop", "refund")
        driver.click("maria", message, "run.step_done")
        driver.app_home_opened("maria")
    assert [installing for _, installing in seen] == [OTHER, OTHER, OTHER]
    assert seen[0][0]["team_id"] == OTHER and seen[1][0]["team"]["id"] == OTHER
    assert seen[2][0]["authorizations"][0]["team_id"] == OTHER

    driver.command("maria", "/sop", "refund")
    assert seen[-1][1] == TEAM_ID
