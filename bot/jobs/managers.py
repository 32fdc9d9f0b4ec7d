"""An SOP's `managers:` channel as written ("#store-managers" or an ID) -> its channel ID."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.jobs.context import JobContext
from bot.slack.people import channel_ids

log = logging.getLogger(__name__)


class Channels:
    """`#name` or an ID -> a channel ID, asking Slack for the names at most once per pass."""

    def __init__(self, job: JobContext) -> None:
        self.job = job
        self._names: dict[str, str] | None = None

    def __call__(self, ref: str) -> str | None:
        if not ref.startswith("#"):
            return ref
        if self._names is None:
            if not self.job.runtime.settings.slack_bot_token:
                self._names = {}
            else:
                try:
                    self._names = channel_ids(self.job.client)
                except SlackApiError as exc:
                    log.warning("cannot list channels (%s)", exc.response["error"])
                    self._names = {}
        found = self._names.get(ref[1:])
        if found is None:
            log.warning("no channel %s that sopbot can see", ref)
        return found
