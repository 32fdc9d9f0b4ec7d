"""A small, realistic team to test against: the seeded IDs are constants here."""

from __future__ import annotations

from bot.slacksim.clock import Clock, system_clock
from bot.slacksim.workspace import APP_ID, BOT_ID, BOT_USER_ID, Workspace

MARIA = "U01MARIA01"  # staff, support
SAM = "U01SAMLEAD"  # manager, workspace admin
PRIYA = "U01PRIYA01"  # support
TOM = "U01TOM0001"  # ops
JO = "U01JO00001"  # support, jo@example.com, New York
ANA = "U01ANA0001"  # ops manager
LEE = "U01LEE0001"  # deactivated
GINA = "U01GINA001"  # a guest (multi-channel): a contractor, in #contractors only
EVE = "U01EVEACME"  # from another organisation (Acme), in the Slack Connect channel #acme-shared
ACME_TEAM = "T0ACME0001"  # Eve's own organisation's team
DEPLOYBOT = "U01DEPLOYB"  # another app's bot user
DEPLOYBOT_BOT_ID = "B01DEPLOYB"
SLACKBOT = "USLACKBOT"
SOPBOT = BOT_USER_ID

GENERAL = "C01GENERAL"
SUPPORT = "C01SUPPORT"
OPS = "C01OPS0001"
OPS_MANAGERS = "C01OPSMGRS"
RANDOM = "C01RANDOM1"  # public, the bot is not a member
OLD_RUNBOOKS = "C01OLDRUNB"  # archived
LEADS = "G01LEADS01"  # private, the bot is a member
HR_PRIVATE = "G01HRPRIV1"  # private, the bot is not a member
DM_MARIA_SAM = "D01MARSAM1"  # a DM between two people; the bot may not use it
ACME_SHARED = "C01ACMESHR"  # shared with Acme (Slack Connect)
CONTRACTORS = "C01CONTRAC"  # where the guest works; no sample SOP names it

SUPPORT_TEAM = "S01SUPPORT"
MANAGERS = "S01MANAGER"

BERLIN = {"tz": "Europe/Berlin", "tz_label": "Central European Time", "tz_offset": 3600}
LONDON = {"tz": "Europe/London", "tz_label": "Greenwich Mean Time", "tz_offset": 0}
KOLKATA = {"tz": "Asia/Kolkata", "tz_label": "India Standard Time", "tz_offset": 19800}
NEW_YORK = {"tz": "America/New_York", "tz_label": "Eastern Standard Time", "tz_offset": -18000}
LA = {"tz": "America/Los_Angeles", "tz_label": "Pacific Standard Time", "tz_offset": -28800}

__all__ = ["default_workspace", "APP_ID", "BOT_ID", "BOT_USER_ID"]


def default_workspace(*, clock: Clock = system_clock, public_write: bool = True) -> Workspace:
    """The SOP Team: its people, a guest, someone from Acme, two bots, channels (one shared
    with Acme) and two user groups."""
    ws = Workspace(clock=clock, public_write=public_write)
    people = [
        (MARIA, "maria", "Maria Schmidt", "Maria", "Support Specialist", BERLIN, {}),
        (SAM, "sam", "Sam Okafor", "Sam", "Support Manager", LONDON, {"is_admin": True}),
        (PRIYA, "priya", "Priya Raman", "Priya", "Support Specialist", KOLKATA, {}),
        (TOM, "tom", "Tom Becker", "Tom", "Ops Engineer", BERLIN, {}),
        (JO, "jo", "Jo Park", "Jo", "Support Specialist", NEW_YORK, {}),
        (ANA, "ana", "Ana Costa", "Ana", "Ops Manager", BERLIN, {}),
        (LEE, "lee", "Lee Chen", "Lee", "Former Support", BERLIN, {"deleted": True}),
    ]
    for uid, name, real, display, title, tz, extra in people:
        email = "jo@example.com" if name == "jo" else f"{name}@example.com"
        ws.add_user(
            id=uid,
            name=name,
            real_name=real,
            display_name=display,
            email=email,
            title=title,
            **tz,
            **extra,
        )
    ws.add_user(
        id=GINA,
        name="gina",
        real_name="Gina Rossi",
        display_name="Gina",
        email="gina@contractor.example",
        title="Support Contractor",
        is_restricted=True,
        **LONDON,
    )
    ws.add_user(
        id=EVE,
        name="eve",
        real_name="Eve Martin",
        display_name="Eve",
        email="eve@acme.example",
        title="Account Manager at Acme",
        team_id=ACME_TEAM,
        **NEW_YORK,
    )
    # Slack lists Slackbot as a user with is_bot false; code that walks users.list must cope.
    ws.add_user(id=SLACKBOT, name="slackbot", real_name="Slackbot", display_name="Slackbot", **LA)
    ws.add_user(
        id=DEPLOYBOT,
        name="deploybot",
        real_name="Deploy Bot",
        is_bot=True,
        bot_id=DEPLOYBOT_BOT_ID,
        app_id="A01DEPLOYB",
        **LA,
    )
    ws.add_user(
        id=BOT_USER_ID,
        name="sopbot",
        real_name="SOP Bot",
        display_name="sopbot",
        is_bot=True,
        bot_id=BOT_ID,
        app_id=APP_ID,
        **LA,
    )
    everyone = [MARIA, SAM, PRIYA, TOM, JO, ANA]
    ws.add_channel(
        id=GENERAL,
        name="general",
        members=[*everyone, SOPBOT],
        is_general=True,
        purpose="Company-wide announcements",
        creator=SAM,
    )
    ws.add_channel(
        id=SUPPORT,
        name="support",
        members=[MARIA, SAM, PRIYA, JO, SOPBOT],
        purpose="Customer support team",
        creator=SAM,
    )
    ws.add_channel(id=OPS, name="ops", members=[TOM, ANA, SAM, SOPBOT], creator=ANA)
    ws.add_channel(id=OPS_MANAGERS, name="ops-managers", members=[SAM, ANA], creator=SAM)
    ws.add_channel(id=RANDOM, name="random", members=everyone, creator=SAM)
    ws.add_channel(
        id=OLD_RUNBOOKS, name="old-runbooks", members=[SAM, SOPBOT], is_archived=True, creator=SAM
    )
    ws.add_channel(id=LEADS, name="leads", members=[SAM, ANA, SOPBOT], is_private=True, creator=SAM)
    ws.add_channel(id=HR_PRIVATE, name="hr-private", members=[SAM], is_private=True, creator=SAM)
    ws.add_channel(
        id=CONTRACTORS,
        name="contractors",
        members=[SAM, GINA, SOPBOT],
        purpose="Work with our contractors",
        creator=SAM,
    )
    ws.add_channel(
        id=ACME_SHARED,
        name="acme-shared",
        members=[MARIA, SAM, EVE, SOPBOT],
        purpose="With Acme, our reseller (Slack Connect)",
        creator=SAM,
        connected_teams=[ACME_TEAM],
    )
    ws.open_im([MARIA, SAM], id=DM_MARIA_SAM)
    ws.add_usergroup(
        id=SUPPORT_TEAM, handle="support-team", name="Support Team", users=[MARIA, PRIYA, JO]
    )
    ws.add_usergroup(id=MANAGERS, handle="managers", name="Managers", users=[SAM, ANA])
    return ws
