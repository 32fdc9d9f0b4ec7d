"""The real bot served over HTTP against the fake Slack, on each test database."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App

from bot.config import Settings
from bot.jobs.cast import refresh_cast
from bot.jobs.context import JobContext
from bot.runtime import Runtime
from bot.services.publish import publish_directory
from bot.slack.app import build_app
from bot.slack.context import SlackContext
from bot.slack.guard.after_ack import Workers
from bot.slack.guard.request_limits import Throttle
from bot.slack.kit.limits import check_verbatim
from bot.slacksim import FakeSlack, ManualClock
from bot.slacksim.driver import DriverResponse, SlackDriver
from bot.web import HttpServer, wsgi_app
from bot.wiring import build_job_context, build_runtime, build_slack
from tests.conftest import SAMPLE_SOPS
from tests.round_trip import RoundTripWork

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class ReplayingDriver(SlackDriver):
    """A driver that can deliver its last request again, as Slack does on a retry."""

    last: tuple[bytes | str, dict[str, str]] | None = None

    def send_raw(self, body: bytes | str, headers: dict[str, str]) -> DriverResponse:
        self.last = (body, headers)
        return super().send_raw(body, headers)

    def replay(self) -> DriverResponse:
        """Send the previous body again, freshly signed."""
        assert self.last is not None
        body, headers = self.last
        return self.send(body if isinstance(body, str) else body.decode(), headers["Content-Type"])


@dataclass
class Bot:
    """Everything a test talks to: Slack's side (fake, driver) and the bot's (runtime)."""

    fake: FakeSlack
    slack: ReplayingDriver
    runtime: Runtime
    clock: ManualClock
    sops_dir: Path
    server: HttpServer
    app: App
    workers: Workers
    context: SlackContext
    job_context: JobContext

    def publish(self) -> None:
        """Publish the SOP folder and resolve the casts, as `sopbot sops publish` does."""
        with self.runtime.database.session() as session:
            report = publish_directory(
                session,
                directory=self.sops_dir,
                now=self.clock(),
                renderers=self.job_context.renderers.feedback,
            )
        assert report.errors == []
        refresh_cast(self.job_context)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake
    # Whatever a test made the bot send: mrkdwn from SOP or people's text is always verbatim.
    for call in fake.calls:
        if call.method.startswith(("chat.", "views.", "response_url")):
            check_verbatim(call.args, call.method)


@contextmanager
def running_bot(
    fake: FakeSlack,
    database_url: str,
    sops_dir: Path,
    *,
    start: datetime,
    throttle: Throttle | None = None,
    **settings: Any,
) -> Iterator[Bot]:
    """The real bot over HTTP on a free port, the sample SOPs published; stopped after."""
    shutil.copytree(SAMPLE_SOPS, sops_dir, dirs_exist_ok=True)
    base = Settings(
        database_url=database_url,
        sops_dir=sops_dir,
        slack_bot_token=fake.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=fake.api_url,
    )
    clock = ManualClock(start)
    runtime = build_runtime(replace(base, **settings), clock=clock)
    # Every piece of after-ack work crosses a pickle as it would to sopbot run's work process.
    context = replace(build_slack(runtime), after_ack=RoundTripWork())
    context.after_ack.share(context)
    app, workers = build_app(context, throttle=throttle)
    server = HttpServer(
        wsgi_app(app, runtime.database, signing_secret=SIGNING_SECRET),
        host="127.0.0.1",
        port=0,
        loop_timeout=0.05,
    ).start()
    driver = ReplayingDriver(fake, f"{server.url}/slack/events", SIGNING_SECRET)
    job_context = build_job_context(runtime)
    running = Bot(
        fake, driver, runtime, clock, sops_dir, server, app, workers, context, job_context
    )
    try:
        running.publish()
        yield running
    finally:
        server.stop()
        workers.shutdown(wait=True)
        runtime.database.dispose()


@pytest.fixture
def bot(fake: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[Bot]:
    start = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with running_bot(fake, database_url, tmp_path / "sops", start=start) as running:
        yield running
