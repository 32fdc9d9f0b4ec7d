"""Block Kit checks Slack applies on its side, phrased the way Slack reports them."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_BLOCKS_TEXT = 12_000  # msg_blocks_too_long; undocumented, seen around 12-13k in practice
MAX_VIEW_BYTES = 250_000

SELECTS = {
    "static_select", "external_select", "users_select", "conversations_select",
    "channels_select", "multi_static_select", "multi_external_select", "multi_users_select",
    "multi_conversations_select", "multi_channels_select",
}  # fmt: skip
INTERACTIVE = SELECTS | {
    "button", "checkboxes", "datepicker", "datetimepicker", "overflow", "radio_buttons",
    "timepicker", "workflow_button",
}  # fmt: skip
INPUTS = (INTERACTIVE - {"button", "overflow", "workflow_button"}) | {
    "plain_text_input", "email_text_input", "url_text_input", "number_input",
    "rich_text_input", "file_input",
}  # fmt: skip
BLOCK_TYPES = {
    "section", "divider", "image", "actions", "context", "input", "header", "rich_text",
    "markdown", "file", "video", "table", "context_actions",
}  # fmt: skip


def problem(message: str, pointer: str) -> str:
    """One line of `response_metadata.messages`, in Slack's wording."""
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def too_long(limit: int) -> str:
    return f"must be less than {limit + 1} characters"


class _Checker:
    """Walks blocks and collects every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, message: str, pointer: str) -> None:
        self.problems.append(problem(message, pointer))

    def string(self, value: Any, ptr: str, limit: int) -> None:
        if not isinstance(value, str):
            self.add("must be a string", ptr)
        elif len(value) > limit:
            self.add(too_long(limit), ptr)

    def text(self, obj: Any, ptr: str, limit: int, *, plain: bool = False) -> None:
        """A text object: {type: plain_text|mrkdwn, text} within `limit` characters."""
        if not isinstance(obj, dict):
            self.add("must be a text object", ptr)
            return
        allowed = ("plain_text",) if plain else ("plain_text", "mrkdwn")
        if obj.get("type") not in allowed:
            self.add(f"must be {' or '.join(allowed)}", ptr + "/type")
        value = obj.get("text")
        if not isinstance(value, str):
            self.add("must be a string", ptr + "/text")
        elif not value:
            self.add("must be more than 0 characters", ptr + "/text")
        elif len(value) > limit:
            self.add(too_long(limit), ptr + "/text")

    def options(self, options: Any, ptr: str, *, most: int, least: int = 1, plain=True) -> None:
        if not isinstance(options, list):
            self.add("must be an array", ptr)
            return
        if len(options) > most:
            self.add(f"no more than {most} items allowed", ptr)
        if len(options) < least:
            self.add(f"must provide at least {least} items", ptr)
        for i, option in enumerate(options):
            p = f"{ptr}/{i}"
            if not isinstance(option, dict):
                self.add("must be an object", p)
                continue
            self.text(option.get("text"), p + "/text", 75, plain=plain)
            self.string(option.get("value", ""), p + "/value", 150)
            if "description" in option:
                self.text(option["description"], p + "/description", 75, plain=plain)

    def element(self, el: Any, ptr: str, allowed: set[str]) -> None:
        if not isinstance(el, dict):
            self.add("must be an object", ptr)
            return
        kind = el.get("type")
        if kind not in allowed:
            self.add(f"unsupported type: {kind}", ptr + "/type")
            return
        if "action_id" in el:
            self.string(el["action_id"], ptr + "/action_id", 255)
        if "placeholder" in el:
            self.text(el["placeholder"], ptr + "/placeholder", 150, plain=True)
        if kind == "button":
            self.text(el.get("text"), ptr + "/text", 75, plain=True)
            if "value" in el:
                self.string(el["value"], ptr + "/value", 2000)
            if "url" in el:
                self.string(el["url"], ptr + "/url", 3000)
            if el.get("style") not in (None, "primary", "danger"):
                self.add("must be one of primary, danger", ptr + "/style")
        elif kind in ("static_select", "multi_static_select"):
            if "option_groups" in el:
                self.options(el["option_groups"], ptr + "/option_groups", most=100)
            else:
                self.options(el.get("options"), ptr + "/options", most=100)
        elif kind == "overflow":
            self.options(el.get("options"), ptr + "/options", most=5)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(el.get("options"), ptr + "/options", most=10, plain=False)
        elif kind == "plain_text_input":
            for key in ("min_length", "max_length"):
                if not 0 <= el.get(key, 0) <= 3000:
                    self.add("must be between 0 and 3000", f"{ptr}/{key}")
        elif kind == "image":
            self.string(el.get("image_url", ""), ptr + "/image_url", 3000)
            self.string(el.get("alt_text"), ptr + "/alt_text", 2000)
        if isinstance(el.get("confirm"), dict):
            confirm = el["confirm"]
            self.text(confirm.get("title"), ptr + "/confirm/title", 100, plain=True)
            self.text(confirm.get("text"), ptr + "/confirm/text", 300)
            self.text(confirm.get("confirm"), ptr + "/confirm/confirm", 30, plain=True)
            self.text(confirm.get("deny"), ptr + "/confirm/deny", 30, plain=True)

    def action_ids_unique(self, elements: list, ptr: str) -> None:
        seen: set[str] = set()
        for i, el in enumerate(elements):
            action_id = el.get("action_id") if isinstance(el, dict) else None
            if action_id is None:
                continue
            if action_id in seen:
                self.add(f"action_id must be unique within a block: {action_id}", f"{ptr}/{i}")
            seen.add(action_id)

    def block(self, b: Any, ptr: str) -> None:
        if not isinstance(b, dict):
            self.add("must be an object", ptr)
            return
        kind = b.get("type")
        if kind not in BLOCK_TYPES:
            self.add(f"unsupported type: {kind}", ptr + "/type")
            return
        before = len(self.problems)
        if "block_id" in b:
            self.string(b["block_id"], ptr + "/block_id", 255)
        if kind == "section":
            if "text" not in b and "fields" not in b:
                self.add("must provide either text or fields", ptr)
            if "text" in b:
                self.text(b["text"], ptr + "/text", 3000)
            fields = b.get("fields", [])
            if len(fields) > 10:
                self.add("no more than 10 items allowed", ptr + "/fields")
            for i, f in enumerate(fields):
                self.text(f, f"{ptr}/fields/{i}", 2000)
            if "accessory" in b:
                self.element(b["accessory"], ptr + "/accessory", INTERACTIVE | {"image"})
        elif kind == "header":
            self.text(b.get("text"), ptr + "/text", 150, plain=True)
        elif kind in ("actions", "context"):
            elements = b.get("elements")
            most = 25 if kind == "actions" else 10
            if not isinstance(elements, list) or not elements:
                self.add("must provide at least 1 items", ptr + "/elements")
                return
            if len(elements) > most:
                self.add(f"no more than {most} items allowed", ptr + "/elements")
            for i, el in enumerate(elements):
                p = f"{ptr}/elements/{i}"
                if kind == "actions":
                    self.element(el, p, INTERACTIVE)
                elif isinstance(el, dict) and el.get("type") == "image":
                    self.element(el, p, {"image"})
                else:
                    self.text(el, p, 3000)
            if kind == "actions":
                self.action_ids_unique(elements, ptr + "/elements")
        elif kind == "input":
            self.text(b.get("label"), ptr + "/label", 2000, plain=True)
            if "hint" in b:
                self.text(b["hint"], ptr + "/hint", 2000, plain=True)
            self.element(b.get("element"), ptr + "/element", INPUTS)
        elif kind == "image":
            self.element({**b, "type": "image"}, ptr, {"image"})
            if "title" in b:
                self.text(b["title"], ptr + "/title", 2000, plain=True)
        elif kind == "markdown":
            self.string(b.get("text"), ptr + "/text", 12_000)
        if len(self.problems) == before:  # one explanation per fault is enough
            self.sdk(b, ptr)

    def sdk(self, b: dict, ptr: str) -> None:
        """Whatever slack_sdk's own models reject, Slack rejects too."""
        try:
            parsed = Block.parse(copy.deepcopy(b))
            if parsed is not None:
                parsed.validate_json()
        except (SlackObjectFormationError, TypeError, ValueError, AttributeError) as exc:
            self.add(str(exc) or type(exc).__name__, ptr)

    def blocks(self, blocks: Any, ptr: str, most: int) -> None:
        if not isinstance(blocks, list):
            self.add("must be an array", ptr)
            return
        if len(blocks) > most:
            self.add(f"no more than {most} items allowed", ptr)
        seen: set[str] = set()
        for i, b in enumerate(blocks):
            self.block(b, f"{ptr}/{i}")
            block_id = b.get("block_id") if isinstance(b, dict) else None
            if isinstance(block_id, str):
                if block_id in seen:
                    self.add(f"block_id must be unique: {block_id}", f"{ptr}/{i}/block_id")
                seen.add(block_id)


def message_block_problems(blocks: Any, *, pointer: str = "/blocks") -> list[str]:
    """Why Slack would answer `invalid_blocks` to these message blocks (empty: it would not)."""
    checker = _Checker()
    checker.blocks(blocks, pointer, MAX_MESSAGE_BLOCKS)
    return checker.problems


def view_problems(view: Any, *, expected: tuple[str, ...] = ("modal", "home")) -> list[str]:
    """Why views.* would answer `invalid_arguments` to this view (empty: it would not)."""
    checker = _Checker()
    if not isinstance(view, dict):
        checker.add("failed to match all allowed schemas", "/view")
        return checker.problems
    kind = view.get("type")
    if kind not in expected:
        checker.add(f"must be one of {', '.join(expected)}", "/view/type")
        return checker.problems
    if kind == "modal":
        checker.text(view.get("title"), "/view/title", 24, plain=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text(view[key], f"/view/{key}", 24, plain=True)
    else:
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.add(f"{key} is not allowed in a home tab", f"/view/{key}")
    for key, limit in (("private_metadata", 3000), ("callback_id", 255), ("external_id", 255)):
        if key in view:
            checker.string(view[key], f"/view/{key}", limit)
    checker.blocks(view.get("blocks"), "/view/blocks", MAX_VIEW_BLOCKS)
    blocks = view.get("blocks") if isinstance(view.get("blocks"), list) else []
    inputs = [i for i, b in enumerate(blocks) if isinstance(b, dict) and b.get("type") == "input"]
    if kind == "modal" and inputs and not view.get("submit"):
        checker.add(
            "must define `submit` to use an `input` block in modals",
            f"/view/blocks/{inputs[0]}/input",
        )
    return checker.problems


def view_too_large(view: dict) -> bool:
    return len(json.dumps(view)) > MAX_VIEW_BYTES


def text_length(value: Any) -> int:
    """Characters in every `text` string, the measure msg_blocks_too_long is believed to use."""
    if isinstance(value, list):
        return sum(text_length(v) for v in value)
    if isinstance(value, dict):
        return sum(
            len(v) if k == "text" and isinstance(v, str) else text_length(v)
            for k, v in value.items()
        )
    return 0


def _generated_id(seed: Any) -> str:
    digest = hashlib.sha1(json.dumps(seed, sort_keys=True).encode()).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:5])


def with_ids(blocks: list[dict]) -> list[dict]:
    """A copy with the block_id and action_id values Slack invents when the sender left them out."""
    filled = copy.deepcopy(blocks)
    for i, b in enumerate(filled):
        b.setdefault("block_id", _generated_id([i, b]))
        elements = list(b.get("elements", [])) if b.get("type") == "actions" else []
        elements += [b[k] for k in ("accessory", "element") if isinstance(b.get(k), dict)]
        for j, el in enumerate(elements):
            if isinstance(el, dict) and el.get("type") in INTERACTIVE | INPUTS:
                el.setdefault("action_id", _generated_id([i, j, el]))
    return filled
