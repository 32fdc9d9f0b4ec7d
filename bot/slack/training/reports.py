"""`/sop training [SOP]` and the Home tab's "Your training": who learned what."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from bot.services import training_records
from bot.slack.authz import may_handle_sop
from bot.slack.context import SlackContext, reply
from bot.slack.kit.notices import plain_notice
from bot.slack.payload import sender
from bot.slack.training import lists


def answer_training(
    ctx: SlackContext, command: dict[str, Any], query: str, respond: Respond
) -> None:
    """`/sop training`: your own training; `/sop training SOP`: an SOP's, for managers.

    Only the SOPs the caller may see are searched, so an outsider's query never names another.
    """
    runtime, user_id = ctx.runtime, sender(command).user_id
    if not query:
        with runtime.database.session() as session:
            open_rows, done = training_records.my_training(session, user_id=user_id)
        reply(respond, lists.my_training(open_rows=open_rows, done=done))
        return
    entry = ctx.access.snapshot(ctx.access.viewer(sender(command))).resolve(query).entry
    with runtime.database.session() as session:
        record = runtime.live_sop(session, entry.slug) if entry is not None else None
        owner = record.owner if record is not None else None
    if record is None:
        no_match = f"No SOP clearly matches “{query[:100]}”. Use its id, as in /sop list."
        reply(respond, plain_notice(no_match))
        return
    if not may_handle_sop(ctx, user_id, owner, slug=record.slug):
        reply(respond, lists.not_a_manager(record.slug))
        return
    with runtime.database.session() as session:
        report = training_records.sop_training(session, record=record)
    reply(respond, lists.sop_training(report))


def home_section(ctx: SlackContext, user_id: str) -> list[dict[str, Any]]:
    """ "Your training" for the Home tab."""
    with ctx.runtime.database.session() as session:
        open_rows, done = training_records.my_training(session, user_id=user_id)
    return lists.home_section(open_rows=open_rows, done_count=len(done))
