"""views.* methods, and how Slack reacts to the bot's answer to a view_submission."""

from __future__ import annotations

import copy
import json
import secrets
from typing import Any

from bot.slacksim.api_common import ApiRequest, Handler, SlackError
from bot.slacksim.blocks import view_problems, view_too_large, with_ids
from bot.slacksim.interactions import check_trigger, take_trigger
from bot.slacksim.model import View
from bot.slacksim.workspace import Workspace

MAX_STACK = 3


def _new_hash(ws: Workspace) -> str:
    return f"{int(ws.now())}.{secrets.token_hex(4)}"


def _checked_view(
    ws: Workspace, raw: Any, *, expected: tuple[str, ...], own: View | None = None
) -> dict:
    """Parse and validate a view argument; errors come back as invalid_arguments."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise SlackError(
                "invalid_arguments", ["[ERROR] invalid json [json-pointer:/view]"]
            ) from None
    if raw is None:
        raise SlackError("invalid_arguments", ["[ERROR] missing required field: view"])
    problems = view_problems(raw, expected=expected)
    if problems:
        raise SlackError("invalid_arguments", problems)
    if view_too_large(raw):
        raise SlackError("view_too_large")
    spec = copy.deepcopy(raw)
    spec["blocks"] = with_ids(spec.get("blocks", []))
    external_id = spec.get("external_id")
    if external_id and any(
        v.spec.get("external_id") == external_id and not v.closed and v is not own
        for v in ws.views.values()
    ):
        raise SlackError("duplicate_external_id")
    return spec


def _kept_state(view: View, spec: dict) -> dict:
    """Input values Slack keeps across an update: same block_id and action_id."""
    kept: dict = {}
    for block in spec.get("blocks", []):
        old = view.state.get(block.get("block_id"), {})
        action_id = (block.get("element") or {}).get("action_id")
        if action_id in old:
            kept[block["block_id"]] = {action_id: old[action_id]}
    return kept


def _api(ws: Workspace, view: View) -> dict:
    return {"view": view.to_api(team_id=ws.team_id, app_id=ws.app_id, bot_id=ws.bot_id)}


def _store(ws: Workspace, user: str, spec: dict, *, stack: list[str]) -> View:
    view = View(
        id=ws.new_id("V"),
        user=user,
        type=spec["type"],
        spec=spec,
        hash=_new_hash(ws),
        root_view_id=stack[0] if stack else None,
        previous_view_id=stack[-1] if stack else None,
    )
    ws.views[view.id] = view
    stack.append(view.id)
    ws.notify()
    return view


def open_view(req: ApiRequest) -> dict:
    """views.open: needs a fresh, unused trigger_id; starts a new modal stack."""
    ws = req.ws
    with ws.lock:
        trigger_id = req.get("trigger_id") or req.get("interactivity_pointer")
        if trigger_id is None:
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        check_trigger(ws, trigger_id)
        spec = _checked_view(ws, req.args.get("view"), expected=("modal",))
        trigger = take_trigger(ws, trigger_id)
        for view_id in ws.modal_stacks[trigger.user]:
            ws.views[view_id].closed = True
        ws.modal_stacks[trigger.user] = []
        return _api(ws, _store(ws, trigger.user, spec, stack=ws.modal_stacks[trigger.user]))


def push_view(req: ApiRequest) -> dict:
    """views.push: onto the open modal, at most three deep."""
    ws = req.ws
    with ws.lock:
        trigger_id = req.require("trigger_id")
        check_trigger(ws, trigger_id)
        spec = _checked_view(ws, req.args.get("view"), expected=("modal",))
        user = ws.triggers[trigger_id].user
        stack = ws.modal_stacks[user]
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MAX_STACK:
            raise SlackError("push_limit_reached")
        take_trigger(ws, trigger_id)
        return _api(ws, _store(ws, user, spec, stack=stack))


def update_view(req: ApiRequest) -> dict:
    """views.update: by view_id or external_id; a stale hash is a hash_conflict."""
    ws = req.ws
    with ws.lock:
        view_id, external_id = req.get("view_id"), req.get("external_id")
        if view_id is None and external_id is None:
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: view_id"])
        view = ws.views.get(view_id) if view_id else None
        if view is None and external_id:
            view = next(
                (v for v in ws.views.values() if v.spec.get("external_id") == external_id), None
            )
        if view is None or view.closed:
            raise SlackError("not_found")
        if req.get("hash") and req.get("hash") != view.hash:
            raise SlackError("hash_conflict")
        spec = _checked_view(ws, req.args.get("view"), expected=(view.type,), own=view)
        view.state = _kept_state(view, spec)
        view.spec, view.hash = spec, _new_hash(ws)
        ws.notify()
        return _api(ws, view)


def publish_view(req: ApiRequest) -> dict:
    """views.publish: the user's Home tab."""
    ws = req.ws
    with ws.lock:
        user_id = req.require("user_id")
        person = ws.users.get(user_id)
        if person is None or person.deleted:
            raise SlackError("user_not_found")
        home = ws.views.get(ws.homes.get(user_id, ""))
        spec = _checked_view(ws, req.args.get("view"), expected=("home",), own=home)
        if home is not None and req.get("hash") and req.get("hash") != home.hash:
            raise SlackError("hash_conflict")
        if home is None:
            home = View(id=ws.new_id("V"), user=user_id, type="home", spec=spec, hash="")
            ws.views[home.id] = home
            ws.homes[user_id] = home.id
        home.state = _kept_state(home, spec)
        home.spec, home.hash = spec, _new_hash(ws)
        ws.notify()
        return _api(ws, home)


METHODS: dict[str, Handler] = {
    "views.open": open_view,
    "views.push": push_view,
    "views.update": update_view,
    "views.publish": publish_view,
}


# -- after a view_submission or a close -------------------------------------------------------


def _close(ws: Workspace, user: str, *, everything: bool) -> None:
    stack = ws.modal_stacks[user]
    while stack:
        ws.views[stack.pop()].closed = True
        if not everything:
            break


def apply_submission_answer(ws: Workspace, view_id: str, status: int, body: Any) -> str:
    """Do what Slack does with the bot's ack to a view_submission; returns what happened.

    Outcomes: "closed" (empty ack pops the view), "cleared", "updated", "pushed",
    "errors" (shown under inputs), "rejected" (non-200 or an invalid answer; the modal stays
    and the user sees an error).
    """
    with ws.lock:
        view = ws.views[view_id]
        stack = ws.modal_stacks[view.user]
        if status != 200 or not stack or stack[-1] != view_id:
            return "rejected"
        action = body.get("response_action") if isinstance(body, dict) else None
        try:
            if action is None:
                _close(ws, view.user, everything=False)
                outcome = "closed"
            elif action == "clear":
                _close(ws, view.user, everything=True)
                outcome = "cleared"
            elif action == "errors":
                errors = body.get("errors")
                inputs = {b.get("block_id") for b in view.spec["blocks"] if b["type"] == "input"}
                if not isinstance(errors, dict) or not errors or set(errors) - inputs:
                    return "rejected"
                ws.view_errors[view_id] = dict(errors)
                outcome = "errors"
            elif action == "update":
                spec = _checked_view(ws, body.get("view"), expected=("modal",), own=view)
                view.state = _kept_state(view, spec)
                view.spec, view.hash = spec, _new_hash(ws)
                outcome = "updated"
            elif action == "push" and len(stack) < MAX_STACK:
                _store(
                    ws,
                    view.user,
                    _checked_view(ws, body.get("view"), expected=("modal",)),
                    stack=stack,
                )
                outcome = "pushed"
            else:
                return "rejected"
        except SlackError:
            return "rejected"
        ws.notify()
        return outcome


def close_by_user(ws: Workspace, view_id: str) -> None:
    """The user pressed Close (or X): pop the view, or all of them with clear_on_close."""
    with ws.lock:
        view = ws.views[view_id]
        _close(ws, view.user, everything=bool(view.spec.get("clear_on_close")))
        ws.notify()
