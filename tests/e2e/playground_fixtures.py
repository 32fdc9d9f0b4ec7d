"""A playground served in-process on an ephemeral port, and a small client for its JSON API.

Imported explicitly by the playground tests (tests/e2e/conftest.py belongs to other tests).
"""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.playground.wiring import Playground
from tests.conftest import SAMPLE_SOPS

START = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # a Monday, half an hour before the digest


class PageClient:
    """What the page's JavaScript does, over HTTP: read the state, post actions."""

    def __init__(self, play: Playground) -> None:
        self.play = play
        self.base = play.url.rstrip("/")

    def request(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        data = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", "X-Playground": "1"} if body is not None else {}
        request = urllib.request.Request(
            self.base + path, data=data, headers={**sent, **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # a wait: CI is busy
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def post(self, action: str, **body: Any) -> dict:
        status, _, raw = self.request(f"/play/api/{action}", body)
        answer = json.loads(raw)
        assert status == 200, answer
        return answer

    def refused(self, action: str, **body: Any) -> str:
        status, _, raw = self.request(f"/play/api/{action}", body)
        assert status == 400, raw
        return json.loads(raw)["error"]

    def state(self, **query: str) -> dict:
        path = "/play/api/state?" + "&".join(f"{k}={v}" for k, v in query.items())
        status, _, raw = self.request(path)
        assert status == 200, raw
        return json.loads(raw)

    def wait_state(self, predicate, *, what: str, **query: str) -> dict:
        """Poll the state until `predicate(state)` holds (the bot works after its ack)."""
        found: dict = {}

        def check() -> dict | None:
            found.update(self.state(**query))
            return found if predicate(found) else None

        return self.play.fake.wait_for(check, timeout=30, what=what)  # generous: CI is busy


@pytest.fixture
def play(tmp_path: Path) -> Iterator[Playground]:
    """The playground on SQLite, with a copy of the sample SOPs, its clock at START."""
    sops = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, sops)
    settings = Settings(sops_dir=sops)
    playground = Playground(
        settings,
        database_url=f"sqlite:///{tmp_path / 'playground.db'}",
        port=0,
        start=START,
        tick_interval=0.2,
    )
    with playground:
        yield playground


@pytest.fixture
def page(play: Playground) -> PageClient:
    return PageClient(play)
