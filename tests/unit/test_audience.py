"""Audience entries resolved to people through a stand-in directory."""

from __future__ import annotations

from bot.services.audience import Person, Resolver

PEOPLE = {
    "U1": Person("U1", tz="Europe/Berlin"),
    "U2": Person("U2", tz="Asia/Kolkata"),
    "U3": Person("U3", tz="America/New_York", email="u3@example.com"),
    "UGONE": Person("UGONE", deleted=True),
    "UBOT": Person("UBOT", is_bot=True),
    "UAPP": Person("UAPP"),  # the app's own user (is_bot true in real Slack; here it is not)
    "USLACKBOT": Person("USLACKBOT"),
}


class Directory:
    """Answers like Slack would, and counts the questions asked."""

    bot_user_id = "UAPP"

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.channels = {"support": ["U1", "U2", "UGONE", "UBOT", "UAPP", "USLACKBOT"]}
        self.groups = {"team": ["U2", "U3"]}

    def channel_members(self, name: str) -> list[str] | None:
        self.asked.append(f"#{name}")
        return self.channels.get(name)

    def group_members(self, handle: str) -> list[str] | None:
        self.asked.append(f"@{handle}")
        return self.groups.get(handle)

    def user(self, user_id: str) -> Person | None:
        self.asked.append(user_id)
        return PEOPLE.get(user_id)

    def user_by_email(self, email: str) -> Person | None:
        self.asked.append(email)
        return next((p for p in PEOPLE.values() if p.email == email and not p.deleted), None)


def test_channels_groups_ids_and_emails_become_one_sorted_set_of_people():
    directory = Directory()
    audience = Resolver(directory).resolve(["#support", "@team", "U1", "u3@example.com"])
    assert [p.id for p in audience.people] == ["U1", "U2", "U3"]
    assert audience.unresolved == ()
    assert audience.people[1].tz == "Asia/Kolkata"


def test_bots_the_app_slackbot_and_deactivated_members_are_skipped_quietly():
    audience = Resolver(Directory()).resolve(["#support"])
    assert [p.id for p in audience.people] == ["U1", "U2"]
    assert audience.unresolved == ()


def test_each_bad_entry_is_reported_and_the_rest_still_resolve():
    audience = Resolver(Directory()).resolve(
        ["#nowhere", "@nobody", "U0G9QF9C6", "x@example.com", "UGONE", "UBOT", "U1"]
    )
    assert [p.id for p in audience.people] == ["U1"]
    assert [str(u) for u in audience.unresolved] == [
        "#nowhere: no channel by that name that sopbot can see",
        "@nobody: no user group with that handle",
        "U0G9QF9C6: no Slack user with that ID",
        "x@example.com: no active Slack user with that e-mail",
        "UGONE: deactivated",
        "UBOT: a bot, not a person",
    ]


def test_one_pass_asks_slack_about_each_entry_and_person_once():
    directory = Directory()
    resolver = Resolver(directory)
    resolver.resolve(["#support", "@team", "U2"])
    resolver.resolve(["#support", "@team"])  # a second SOP with the same audience
    assert directory.asked.count("#support") == 1
    assert directory.asked.count("U2") == 1


def test_owner_as_id_or_email_and_a_deactivated_owner_is_nobody():
    resolver = Resolver(Directory())
    assert resolver.person("U1") == PEOPLE["U1"]
    assert resolver.person("u3@example.com") == PEOPLE["U3"]
    assert resolver.person("UGONE") is None
    assert resolver.person("UNKNOWN") is None
