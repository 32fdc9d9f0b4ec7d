"""The Slack app manifests in deploy/: valid, least-privilege, and consistent with each other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

REPO = Path(__file__).resolve().parents[2]
HTTP_MANIFEST = REPO / "deploy" / "slack-app-manifest.yml"
SOCKET_MANIFEST = REPO / "deploy" / "slack-app-manifest.socket-mode.yml"
# SchemaStore's Slack app manifest schema (Apache-2.0, draft-07, descriptions trimmed), kept in
# the repo so a clean checkout validates the manifests; the team's copy is ../shared/schemas.
SCHEMA = REPO / "tests" / "schemas" / "slack-app-manifest.schema.json"
TEAM_SCHEMA = REPO.parent / "shared" / "schemas" / "slack-app-manifest.schema.json"

# Exactly what the features need; adding or dropping one must be a deliberate change here.
BOT_SCOPES = [
    "commands",
    "chat:write",
    "chat:write.public",
    "im:write",
    "im:history",
    "users:read",
    "users:read.email",
    "channels:read",
    "groups:read",
    "usergroups:read",
    "files:write",
    "channels:history",
    "groups:history",
]
COMMANDS = {
    "/sop": (
        "Find and follow an SOP step by step",
        "[query | list | help | training | kpis | record TITLE]",
    ),
    "/feedback": (
        "Tell an SOP's owner what's wrong, slow or unclear",
        "[SOP step text]  e.g. refund 3 the link is dead",
    ),
}
EVENTS_PATH = "/slack/events"
URL_KEYS = {"url", "request_url", "message_menu_options_url", "redirect_urls"}
BOTH = pytest.mark.parametrize("path", [HTTP_MANIFEST, SOCKET_MANIFEST], ids=["http", "socket"])


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        manifest = yaml.safe_load(handle)
    assert isinstance(manifest, dict), f"{path.name} is not a YAML mapping"
    return manifest


def urls(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every (location, value) under a URL key, or any string that looks like a URL."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if key in URL_KEYS:
                values = value if isinstance(value, list) else [value]
                for item in values:
                    yield here, str(item)
            else:
                yield from urls(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from urls(item, f"{where}[{index}]")
    elif isinstance(node, str) and "://" in node:
        yield where, node


def commands(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    listed = manifest["features"]["slash_commands"]
    by_name = {command["command"]: command for command in listed}
    assert len(by_name) == len(listed), "a slash command is listed twice"
    return by_name


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def test_the_kept_schema_is_the_teams_copy_where_that_is_at_hand() -> None:
    # A clean CI checkout has only the kept copy; on our machines the two must not drift.
    if TEAM_SCHEMA.is_file():
        assert json.loads(SCHEMA.read_text()) == json.loads(TEAM_SCHEMA.read_text())


@BOTH
def test_manifest_matches_the_slack_schema(path: Path, validator: Draft7Validator) -> None:
    errors = sorted(validator.iter_errors(load(path)), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{path.name}: {'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in errors
    )


@BOTH
def test_bot_scopes_are_exactly_what_the_features_need(path: Path) -> None:
    scopes = load(path)["oauth_config"]["scopes"]
    assert sorted(scopes["bot"]) == sorted(BOT_SCOPES)
    assert "user" not in scopes, "sopbot acts as its bot user only; no user-token scopes"


@BOTH
def test_both_slash_commands_have_descriptions_and_usage_hints(path: Path) -> None:
    found = commands(load(path))
    assert set(found) == set(COMMANDS)
    for name, (description, usage_hint) in COMMANDS.items():
        assert found[name]["description"] == description
        assert found[name]["usage_hint"] == usage_hint
        assert found[name]["should_escape"] is False


@BOTH
def test_home_tab_and_messages_tab_are_on(path: Path) -> None:
    features = load(path)["features"]
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": False,
    }
    assert features["bot_user"] == {"display_name": "sopbot", "always_online": True}


@BOTH
def test_app_home_opened_is_subscribed(path: Path) -> None:
    settings = load(path)["settings"]
    assert settings["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "message.channels",
        "message.groups",
        "message.im",
    ]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


@BOTH
def test_display_information_is_complete(path: Path) -> None:
    info = load(path)["display_information"]
    assert info["name"] == "sopbot"
    assert info["description"].strip()
    # Slack's app settings reject a long_description under about 175 characters; the
    # JSON schema does not check this.
    assert len(info["long_description"]) >= 175
    assert info["background_color"].startswith("#")


def test_http_manifest_sends_everything_to_slack_events() -> None:
    manifest = load(HTTP_MANIFEST)
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    for name, command in commands(manifest).items():
        assert command.get("url", "").endswith(EVENTS_PATH), f"{name} has no /slack/events url"
    assert settings["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert settings["interactivity"]["request_url"].endswith(EVENTS_PATH)
    assert settings["interactivity"]["message_menu_options_url"].endswith(EVENTS_PATH)

    found = list(urls(manifest))
    assert len(found) == len(COMMANDS) + 3
    for where, url in found:
        assert url.startswith("https://"), f"{where}: {url} is not https"
        assert url.endswith(EVENTS_PATH), f"{where}: {url} does not end with {EVENTS_PATH}"


def test_socket_mode_manifest_has_no_urls() -> None:
    manifest = load(SOCKET_MANIFEST)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert list(urls(manifest)) == []


def test_the_two_manifests_differ_only_in_mode_and_urls() -> None:
    def without_mode_and_urls(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: without_mode_and_urls(value)
                for key, value in node.items()
                if key not in URL_KEYS and key != "socket_mode_enabled"
            }
        if isinstance(node, list):
            return [without_mode_and_urls(item) for item in node]
        return node

    http = without_mode_and_urls(load(HTTP_MANIFEST))
    socket = without_mode_and_urls(load(SOCKET_MANIFEST))
    assert http == socket
