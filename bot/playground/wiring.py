"""Composition root of the playground: the real bot, a simulated workspace, one HTTP server."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.db import served
from bot.db.sops import default_workspace as default_sop_workspace
from bot.db.sops import list_sops
from bot.jobs.cast import refresh_cast
from bot.jobs.scheduler import STANDARD_JOBS
from bot.jobs.training import assign_training
from bot.playground import history
from bot.playground.clock import PlayClock
from bot.playground.history import Month
from bot.playground.notice import Notice
from bot.playground.ticker import PLAY_LIMITS, Ticker
from bot.playground.watcher import SopWatcher
from bot.playground.web import page_app
from bot.services import digest_config
from bot.services.digest_config import DigestConfig
from bot.services.publish import PublishReport
from bot.slack.app import build_app
from bot.slacksim import FakeSlack, SlackDriver, default_workspace, seed
from bot.web import HttpServer, wsgi_app
from bot.wiring import (
    build_background,
    build_job_context,
    build_runtime,
    build_slack,
    publish_on_start,
)

log = logging.getLogger(__name__)


def play_settings(settings: Settings, *, fake: FakeSlack, database_url: str) -> Settings:
    """The bot's settings inside the playground: the fake's token and URL, the seeded team."""
    return replace(
        settings,
        database_url=database_url,
        slack_bot_token=fake.token,
        slack_signing_secret=secrets.token_hex(16),  # only this process signs and checks
        slack_app_token=None,
        slack_api_url=fake.api_url,
        manager_channel=seed.OPS_MANAGERS,
        admins=frozenset({seed.SAM}),
    )


class Playground:
    """The unchanged bot, served with its page over HTTP, against a simulated workspace."""

    def __init__(
        self,
        settings: Settings,
        *,
        database_url: str,
        host: str = "127.0.0.1",
        port: int | None = None,
        start: datetime | None = None,
        watch: bool = True,
        tick_interval: float = 0.5,
        history: bool = False,
    ) -> None:
        self.clock = PlayClock(start)
        self.history: Month | None = None
        # A token of its own each run, which no page elsewhere can know (the tests' one is public).
        self.fake = FakeSlack(
            default_workspace(clock=self.clock.time),
            token=f"xoxb-play-{secrets.token_hex(16)}",
            loopback_only=True,
        )
        self.ws = self.fake.ws
        self.user = seed.MARIA
        self.notices: list[Notice] = []
        self.generation = 0
        self.lock = threading.RLock()
        self._settings, self._database_url = settings, database_url
        self._host, self._port = host, settings.port if port is None else port
        self._watch, self._tick_interval = watch, tick_interval
        self._history = history
        self._stops: list[Callable[[], object]] = []
        self._published = False

    def start(self) -> Playground:
        """Start the fake, the bot, its jobs and the watcher; serve on a background thread."""
        # Bound first, so a busy port is the one thing said, before anything else starts.
        self.server = HttpServer(self._route, host=self._host, port=self._port, loop_timeout=0.2)
        self._stops.append(self.server.stop)
        self.fake.start()
        self._stops.append(self.fake.stop)
        self.settings = play_settings(
            self._settings, fake=self.fake, database_url=self._database_url
        )
        self.runtime = build_runtime(self.settings, clock=self.clock)
        self._stops.append(self.runtime.database.dispose)
        self.job = build_job_context(self.runtime)
        with self.runtime.database.session() as session:  # `sopbot play` may use it again
            served.mark(session, what=served.PLAYGROUND, now=self.clock())
        self.watcher = SopWatcher(
            directory=self.settings.sops_dir,
            publish=self._publish,
            clock=self.clock,
            mark=lambda: len(self.fake.calls),
            on_change=self.bump,
        )
        background = build_background(self.job, jobs=STANDARD_JOBS, limits=PLAY_LIMITS)
        self._background = background
        if self._history and self._fresh():
            self._play_history()
        self.ticker = Ticker(background, self.clock, interval=self._tick_interval)
        self.watcher.republish()
        self.app, workers = build_app(build_slack(self.runtime))
        self._stops.append(lambda: workers.shutdown(wait=True))
        self._wsgi = wsgi_app(
            self.app,
            self.runtime.database,
            signing_secret=self.settings.slack_signing_secret or "",
            extra=page_app(self),
        )
        self.driver = SlackDriver(
            self.fake, f"{self.server.url}/slack/events", self.settings.slack_signing_secret or ""
        )
        self.server.start()
        self.ticker.start()
        self._stops.append(self.ticker.stop)
        if self._watch:
            self.watcher.start()
            self._stops.append(self.watcher.stop)
        return self

    def _fresh(self) -> bool:
        """Nothing published yet: a new database, not one kept from an earlier demo."""
        with self.runtime.database.session() as session:
            workspace = default_sop_workspace(session)
            return not list_sops(session, workspace_id=workspace.id, include_retired=True)

    def _play_history(self) -> None:
        """Make the month before now through the services, the clock going from then to now."""
        now = self.clock()
        self.clock.rewind_to(now - history.LEAD)
        self.ticker = Ticker(self._background, self.clock, interval=self._tick_interval)
        begun = time.monotonic()
        self.history = history.generate(self, start=now)
        log.info(
            "playground: a month of history made in %.1f s (%d runs, %d service calls)",
            time.monotonic() - begun, sum(self.history.started.values()), self.history.calls,
        )  # fmt: skip

    def _route(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self._wsgi(environ, start_response)

    def _publish(self) -> PublishReport | None:
        """Publish SOPS_DIR as `sopbot run` does, then assign training as `sops publish` does."""
        first = not self._published
        self._published = True
        report = publish_on_start(self.runtime, renderers=self.job.renderers.feedback)
        material = {
            o.slug for o in (report.new_revisions if report else []) if o.diff and o.diff.material
        }
        if material and not first:  # at start-up the scheduler's first training pass does it
            try:
                assign_training(self.job, slugs=material)
            except (SlackApiError, OSError) as exc:
                log.warning("training for %s not assigned now (%s)", ", ".join(material), exc)
        changed = {o.slug for o in (report.new_revisions if report else [])}
        if changed or first:  # the cast now, so a hand-off can be played at once
            try:
                refresh_cast(self.job, slugs=None if first else changed)
            except (SlackApiError, OSError) as exc:
                log.warning("cast not resolved now (%s)", exc)
        return report

    def digest_config(self) -> DigestConfig:
        """The digest's time and zone as the bot uses them (`/sop config` wins over the env)."""
        with self.runtime.database.session() as session:
            workspace = default_sop_workspace(session)
            return digest_config.load(session, settings=self.settings, workspace=workspace)

    @property
    def url(self) -> str:
        """The page's address, ending in a slash."""
        return f"{self.server.url}/"

    def bump(self) -> None:
        """Tell open pages that something outside the workspace changed (clock, publish, user)."""
        with self.lock:
            self.generation += 1
        self.ws.notify()

    def stop(self) -> None:
        """Stop whatever was started, newest first (also after a start that failed half-way)."""
        stops, self._stops = self._stops, []
        # The server (always the first) goes first: no request arrives while the rest stops.
        for stop in stops[:1] + stops[:0:-1]:
            stop()

    def __enter__(self) -> Playground:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
