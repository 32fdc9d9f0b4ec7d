"""auth.test, users.* and usergroups.* methods of the simulated Web API."""

from __future__ import annotations

from bot.slacksim.api_common import ApiRequest, Handler, SlackError, paginate


def auth_test(req: ApiRequest) -> dict:
    """auth.test: who the bot token belongs to."""
    ws = req.ws
    bot = ws.users[ws.bot_user_id]
    return {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.team_name,
        "user": bot.name,
        "team_id": ws.team_id,
        "user_id": bot.id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def users_info(req: ApiRequest) -> dict:
    """users.info"""
    ws = req.ws
    with ws.lock:
        person = ws.users.get(req.get("user", ""))
        if person is None:
            raise SlackError("user_not_found")
        return {"user": person.to_api(ws.team_id)}


def users_list(req: ApiRequest) -> dict:
    """users.list: everyone incl. bots, Slackbot and deactivated people; limit 0 means all.

    People from other organisations (Slack Connect) are not listed; users.info finds them.
    """
    ws = req.ws
    with ws.lock:
        people = [u for u in ws.users.values() if u.home(ws.team_id) == ws.team_id]
        page, cursor = paginate(
            req, people, key=lambda u: u.id, kind="users", default_limit=0, max_limit=1000
        )
        return {
            "members": [u.to_api(ws.team_id) for u in page],
            "cache_ts": int(ws.now()),
            "response_metadata": {"next_cursor": cursor},
        }


def lookup_by_email(req: ApiRequest) -> dict:
    """users.lookupByEmail: deactivated people are not found."""
    ws = req.ws
    with ws.lock:
        email = str(req.require("email")).lower()
        for person in ws.users.values():
            if person.email and person.email.lower() == email and not person.deleted:
                return {"user": person.to_api(ws.team_id)}
        raise SlackError("users_not_found")


def usergroups_list(req: ApiRequest) -> dict:
    """usergroups.list"""
    ws = req.ws
    with ws.lock:
        include_disabled = req.flag("include_disabled")
        return {
            "usergroups": [
                g.to_api(
                    team_id=ws.team_id,
                    include_users=req.flag("include_users"),
                    include_count=req.flag("include_count"),
                )
                for g in ws.usergroups.values()
                if include_disabled or not g.disabled
            ]
        }


def usergroups_users_list(req: ApiRequest) -> dict:
    """usergroups.users.list"""
    ws = req.ws
    with ws.lock:
        group = ws.usergroups.get(req.require("usergroup"))
        if group is None or (group.disabled and not req.flag("include_disabled")):
            raise SlackError("no_such_subteam")
        return {"users": list(group.users)}


METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": lookup_by_email,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
}
