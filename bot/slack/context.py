"""SlackContext: what every feature's listeners run with, built once by bot/wiring.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.services.renderers import Renderers
from bot.slack import outgoing
from bot.slack.access import Access
from bot.slack.clients import quiet_client
from bot.slack.guard.work_process import WorkProcess
from bot.slack.people import SlackPeople

Respond = Callable[..., Any]


@dataclass(frozen=True)
class SlackContext:
    """The runtime, Slack's clients and people, the after-ack pool and the renderers.

    `client` sends everything after an ack; listeners never use bolt's per-request client,
    which is a plain WebClient (see bot/slack/clients.py). `people` and `access` ask Slack
    through a quiet copy of it and share one minute's answers.
    """

    runtime: Runtime
    client: WebClient  # clients.listener_client
    ack_client: WebClient  # clients.ack_path_client: for the few answers given inside the ack
    people: SlackPeople
    access: Access
    renderers: Renderers
    after_ack: WorkProcess

    def later(self, work: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Do `work` after the ack, off bolt's listener threads, maybe in a child process
        (see guard/after_ack.py, guard/work_process.py): its arguments must pickle."""
        self.after_ack.submit(work, *args, **kwargs)

    def on_ack_path(self) -> SlackContext:
        """This context for work done before the ack: Slack calls fail fast, never wait."""
        people = self.people.using(quiet_client(self.ack_client))
        return replace(self, client=self.ack_client, people=people)


def reply(respond: Respond, message: dict, *, replace: bool = False) -> None:
    """Answer the person who acted, ephemerally, through the request's response_url."""
    if getattr(respond, "response_url", None) is None:
        return  # App Home buttons come without one; the run's own messages say enough there.
    outgoing.check("response_url", message)  # a response_url is not a WebClient call
    respond({**message, "response_type": "ephemeral", "replace_original": replace})
