"""deploy/nginx.conf: valid nginx (crossplane), with the limits deploy/README.md documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import crossplane
import pytest

from tests.conftest import ROOT
from tests.unit.test_compose import WEB, running, services

NGINX_CONF = ROOT / "deploy" / "nginx.conf"
# Where the nginx image reads it: conf.d/*.conf, included inside its http block.
TARGET = "/etc/nginx/conf.d/default.conf"


def parse(conf: Path, tmp_path: Path) -> dict[str, Any]:
    """Parse `conf` as the nginx image includes it; strict: unknown directives are errors."""
    main = tmp_path / "nginx.conf"
    main.write_text(f"events {{}}\nhttp {{\n    include {conf};\n}}\n")
    return crossplane.parse(str(main), strict=True, combine=True)


@pytest.fixture
def http(tmp_path: Path) -> list[dict[str, Any]]:
    parsed = parse(NGINX_CONF, tmp_path)
    assert (parsed["status"], parsed["errors"]) == ("ok", [])
    (top,) = [d for d in parsed["config"][0]["parsed"] if d["directive"] == "http"]
    return top["block"]


def args(block: list[dict[str, Any]], directive: str) -> list[list[str]]:
    return [d["args"] for d in block if d["directive"] == directive]


def test_crossplane_refuses_what_nginx_would(tmp_path: Path):
    bad = tmp_path / "bad.conf"
    bad.write_text(NGINX_CONF.read_text().replace("client_body_timeout", "client_body_timeoutt"))
    assert parse(bad, tmp_path)["status"] == "failed"


def test_one_server_caps_the_body_and_cuts_slow_clients(http: list[dict[str, Any]]):
    (server,) = [d["block"] for d in http if d["directive"] == "server"]
    assert args(server, "client_max_body_size") == [["1m"]]
    for directive in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert args(server, directive) == [["10s"]], directive
    assert args(server, "keepalive_timeout") == [["15s"]]
    assert args(server, "listen") == [["80", "default_server"]], "plain HTTP: TLS is in front"


def test_only_slack_events_is_proxied_and_only_its_posts(http: list[dict[str, Any]]):
    (server,) = [d["block"] for d in http if d["directive"] == "server"]
    locations = {tuple(d["args"]): d["block"] for d in server if d["directive"] == "location"}
    assert set(locations) == {("=", "/slack/events"), ("/",)}
    events = locations[("=", "/slack/events")]
    assert args(events, "proxy_pass") == [["http://sopbot"]]
    assert args(events, "limit_except") == [["POST"]]
    assert args(events, "proxy_request_buffering") == [["on"]]
    assert args(locations[("/",)], "return") == [["404"]]


def test_the_upstream_is_exactly_the_web_services_of_the_compose_file(
    http: list[dict[str, Any]],
):
    (upstream,) = [d for d in http if d["directive"] == "upstream"]
    assert upstream["args"] == ["sopbot"]
    assert sorted(args(upstream["block"], "server")) == sorted([f"{n}:3000"] for n in running(WEB))
    assert args(upstream["block"], "keepalive") == []
    assert services()["proxy"]["volumes"] == [f"./nginx.conf:{TARGET}:ro"]
