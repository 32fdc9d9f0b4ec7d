"""Interaction payloads built the way Slack builds them, from what the bot really showed."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from bot.slacksim.blocks import INPUTS, INTERACTIVE
from bot.slacksim.workspace import Workspace

TEXT_INPUTS = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
SELECTED_ONE = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
}
SELECTED_MANY = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
INITIAL = {
    "selected_user": "initial_user",
    "selected_conversation": "initial_conversation",
    "selected_channel": "initial_channel",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
    "selected_date_time": "initial_date_time",
    "selected_users": "initial_users",
    "selected_conversations": "initial_conversations",
    "selected_channels": "initial_channels",
}


class NotShown(LookupError):
    """The test tried to use an element the bot never showed (or showed more than once)."""


def user_ref(ws: Workspace, user_id: str) -> dict:
    """An interaction's `user`: its `team_id` is the person's own team (another organisation's
    for a Slack Connect member), not necessarily the workspace the app is installed in."""
    person = ws.users[user_id]
    return {
        "id": person.id,
        "username": person.name,
        "name": person.name,
        "team_id": person.home(ws.team_id),
    }


def team_ref(ws: Workspace, team_id: str | None = None) -> dict:
    """An interaction's `team`: the installing workspace, or `team_id` where Slack says another."""
    team = team_id or ws.team_id
    return {"id": team, "domain": ws.domain if team == ws.team_id else team.lower()}


@dataclass(frozen=True)
class Located:
    """An interactive element and the block that holds it."""

    block: dict
    element: dict

    @property
    def block_id(self) -> str:
        return self.block["block_id"]


def _elements(block: dict) -> list[dict]:
    kind = block.get("type")
    if kind == "actions":
        return [e for e in block.get("elements", []) if isinstance(e, dict)]
    if kind == "section" and isinstance(block.get("accessory"), dict):
        return [block["accessory"]]
    if kind == "input" and block.get("dispatch_action") and isinstance(block.get("element"), dict):
        return [block["element"]]
    return []


def locate(
    blocks: list[dict] | None,
    action_id: str,
    *,
    block_id: str | None = None,
    value: str | None = None,
    types: set[str] = INTERACTIVE,
) -> Located:
    """The one element with this action_id (narrowed by block_id and button value)."""
    matches = [
        Located(block, el)
        for block in blocks or []
        for el in _elements(block)
        if el.get("action_id") == action_id
        and el.get("type") in types
        and (block_id is None or block.get("block_id") == block_id)
        and (value is None or el.get("value") == value)
    ]
    if len(matches) == 1:
        return matches[0]
    shown = sorted(
        f"{el.get('action_id')}={el.get('value', '')!s}"
        for block in blocks or []
        for el in _elements(block)
    )
    problem = "is not shown" if not matches else f"is shown {len(matches)} times; narrow it"
    raise NotShown(f"{action_id} (value={value}, block_id={block_id}) {problem}; shown: {shown}")


def options_of(element: dict) -> list[dict]:
    if "option_groups" in element:
        return [o for group in element["option_groups"] for o in group.get("options", [])]
    return list(element.get("options", []))


def find_option(element: dict, value: str) -> dict:
    for option in options_of(element):
        if option.get("value") == value:
            return copy.deepcopy(option)
    offered = [o.get("value") for o in options_of(element)]
    raise NotShown(f"option {value!r} is not offered by {element.get('action_id')}: {offered}")


def action(located: Located, *, action_ts: str, selected: Any = None) -> dict:
    """One entry of `actions` in a block_actions payload."""
    el = located.element
    data: dict[str, Any] = {
        "type": el["type"],
        "action_id": el["action_id"],
        "block_id": located.block_id,
        "action_ts": action_ts,
    }
    if el["type"] == "button":
        data["text"] = copy.deepcopy(el["text"])
        if "value" in el:
            data["value"] = el["value"]
        if "style" in el:
            data["style"] = el["style"]
    elif el["type"] in ("static_select", "external_select", "overflow", "radio_buttons"):
        data["selected_option"] = selected
    elif el["type"] in ("multi_static_select", "multi_external_select", "checkboxes"):
        data["selected_options"] = selected
    elif el["type"] in SELECTED_ONE:
        data[SELECTED_ONE[el["type"]]] = selected
    elif el["type"] in SELECTED_MANY:
        data[SELECTED_MANY[el["type"]]] = selected
    if "placeholder" in el:
        data["placeholder"] = copy.deepcopy(el["placeholder"])
    return data


def _rich_text(text: str) -> dict:
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return {"type": "rich_text", "elements": [section]}


def _external_option(raw: Any) -> dict:
    if isinstance(raw, dict):
        return copy.deepcopy(raw)
    return {"text": {"type": "plain_text", "text": str(raw)}, "value": str(raw)}


def _entry(element: dict, raw: Any, *, given: bool) -> dict:
    """One state.values entry: what the user entered, or the element's initial value."""
    kind = element.get("type")
    entry: dict[str, Any] = {"type": kind}
    if kind in TEXT_INPUTS:
        value = raw if given else element.get("initial_value")
        entry["value"] = None if value in (None, "") else str(value)
    elif kind in ("static_select", "radio_buttons", "external_select"):
        if not given or raw is None:
            chosen = copy.deepcopy(element.get("initial_option"))
        elif kind == "external_select":
            chosen = _external_option(raw)
        else:
            chosen = find_option(element, raw)
        entry["selected_option"] = chosen
    elif kind in ("multi_static_select", "checkboxes", "multi_external_select"):
        if not given:
            chosen = copy.deepcopy(element.get("initial_options", []))
        elif kind == "multi_external_select":
            chosen = [_external_option(v) for v in raw]
        else:
            chosen = [find_option(element, v) for v in raw]
        entry["selected_options"] = chosen
    elif kind in SELECTED_ONE or kind in SELECTED_MANY:
        key = SELECTED_ONE.get(kind) or SELECTED_MANY[kind]
        entry[key] = raw if given else element.get(INITIAL[key])
    elif kind == "rich_text_input":
        initial = element.get("initial_value")
        entry["rich_text_value"] = _rich_text(raw) if given and raw else initial
    return entry


def _is_empty(entry: dict) -> bool:
    return all(v in (None, [], "") for k, v in entry.items() if k != "type")


def state_values(
    blocks: list[dict], values: dict[str, Any] | None, *, current: dict | None = None
) -> dict:
    """view.state.values for input blocks; `values` keyed by block_id or action_id."""
    values = values or {}
    known = set()
    state: dict[str, dict] = copy.deepcopy(current or {})
    for block in blocks:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict) or element.get("type") not in INPUTS:
            continue
        block_id, action_id = block["block_id"], element["action_id"]
        key = block_id if block_id in values else action_id if action_id in values else None
        known.update({block_id, action_id})
        if key is None and action_id in state.get(block_id, {}):
            continue  # keep what the user typed earlier
        state[block_id] = {action_id: _entry(element, values.get(key), given=key is not None)}
    unknown = set(values) - known
    if unknown:
        raise NotShown(f"no input with block_id or action_id {sorted(unknown)}")
    return state


def missing_required(blocks: list[dict], state: dict) -> list[str]:
    """Labels of required inputs left empty (Slack's client will not submit then)."""
    missing = []
    for block in blocks:
        if block.get("type") != "input" or block.get("optional"):
            continue
        entry = next(iter(state.get(block["block_id"], {}).values()), None)
        if entry is None or _is_empty(entry):
            missing.append(block.get("label", {}).get("text", block["block_id"]))
    return missing
