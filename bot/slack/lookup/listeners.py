"""`/sop`: a table of sub-commands (the features' answers), else a search for an SOP to start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack import authoring, kpis, recording, training
from bot.slack.context import SlackContext, reply
from bot.slack.kit.notices import plain_notice
from bot.slack.lookup import answers

MAX_QUERY = 300

Answer = Callable[[SlackContext, dict[str, Any], str, Respond], None]
"""(ctx, the command payload, the words after the sub-command, respond)."""


@dataclass(frozen=True)
class SubCommand:
    """What `/sop WORD ...` does; `alone` sub-commands take no words after them."""

    answer: Answer
    alone: bool = False


HELP = SubCommand(answers.answer_help, alone=True)
SUB_COMMANDS: dict[str, SubCommand] = {
    "": HELP,
    "help": HELP,
    "?": HELP,
    "-h": HELP,
    "--help": HELP,
    "list": SubCommand(answers.answer_list, alone=True),
    "training": SubCommand(training.answer_training),
    "kpis": SubCommand(kpis.answer_kpis),
    "config": SubCommand(kpis.answer_config),  # [#managers-channel]
    "edit": SubCommand(authoring.answer_edit),
    "record": SubCommand(recording.answer_record),
}


def register(app: App, ctx: SlackContext) -> None:
    """Attach `/sop`."""

    @app.command("/sop")
    def sop_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        # Ack first and answer through response_url: no database or Slack call can make
        # Slack's 3-second window close on the person typing.
        ack()
        ctx.later(answer_sop, ctx, command, respond=respond)


def answer_sop(ctx: SlackContext, command: dict[str, Any], *, respond: Respond) -> None:
    """Route `/sop TEXT` to a sub-command, or search for TEXT."""
    text = " ".join(command.get("text", "").split())
    word, _, rest = text.partition(" ")
    sub = SUB_COMMANDS.get(word.lower())
    if sub is not None and not (sub.alone and rest):
        sub.answer(ctx, command, rest, respond)
    elif len(text) > MAX_QUERY:
        reply(
            respond,
            plain_notice(
                f"That query is {len(text):,} characters long. Try a few words, "
                "like /sop refund, or /sop list to see every SOP."
            ),
        )
    else:
        answers.search(ctx, command, text, respond)
