"""Messages of a scheduled run: the "Scheduled:" post, its reminder and the managers' escalation."""

from __future__ import annotations

from bot.core.mrkdwn import escape
from bot.slack.ids import Action
from bot.slack.kit.blocks import actions, bold, button, context, mention, section


def _channel(ref: str) -> str:
    """A channel ID as a link; a name (never resolved) as escaped text."""
    return f"<#{ref}>" if not ref.startswith("#") else escape(ref)


def scheduled_post(*, scheduled_id: int, title: str, due_local: str) -> dict:
    """The top-level message of a scheduled run, with Take this run."""
    text = f"Scheduled: {title}, due by {due_local}"
    return {
        "text": escape(text),
        "blocks": [
            section(f"🗓 Scheduled: {bold(title)}, due by {due_local}", block_id="scheduled"),
            actions(
                [
                    button(
                        "Take this run",
                        action_id=Action.TAKE_RUN,
                        value=str(scheduled_id),
                        style="primary",
                    )
                ],
                block_id="scheduled_actions",
            ),
        ],
    }


def scheduled_taken(*, title: str, due_local: str, user_id: str) -> dict:
    """The top-level message once someone took the run: no button any more."""
    return {
        "text": escape(f"Scheduled: {title}, due by {due_local}"),
        "blocks": [
            section(f"🗓 Scheduled: {bold(title)}, due by {due_local}", block_id="scheduled"),
            context(f"Taken by {mention(user_id)} · the steps are in the thread", block_id="taken"),
        ],
    }


def taken_already(*, user_id: str | None) -> dict:
    """The ephemeral answer to a Take pressed after someone else's."""
    who = mention(user_id) if user_id else "someone else"
    return {"text": f"{who} has already taken this run.", "blocks": []}


def not_for_you(*, channel_id: str, role: str | None = None) -> dict:
    """The ephemeral answer to a Take by someone who may not take the run."""
    if role:
        text = f"This run starts with a *{escape(role)}* step; ask someone who plays that role."
    else:
        text = f"This run is for the members of <#{channel_id}>; ask one of them to take it."
    return {"text": text, "blocks": []}


def reminder(*, title: str, due_local: str, taken_by: str | None) -> dict:
    """The one reminder in the run's thread at its due time (names the holder, no channel ping)."""
    holder = f"{mention(taken_by)} has it and it" if taken_by else "Nobody has taken it yet; it"
    text = f"⏰ {bold(title)} was due by {due_local}. {holder} is not finished."
    return {
        "text": f"{escape(title)} was due by {due_local}",
        "blocks": [section(text, block_id="due")],
    }


def reminder_dm(*, title: str, channel_id: str, due_local: str) -> dict:
    """The DM to whoever holds a scheduled run that is due and unfinished."""
    text = (
        f"⏰ {bold(title)} in {_channel(channel_id)} was due by {due_local} and is not finished. "
        "Its steps are in the run's thread."
    )
    return {
        "text": f"{escape(title)} was due by {due_local}",
        "blocks": [section(text, block_id="due")],
    }


def escalation(*, title: str, channel_id: str, late_minutes: int, taken_by: str | None) -> dict:
    """The note to the SOP's managers: which SOP, where, how late, who holds it."""
    late = (
        f"{late_minutes // 60} h {late_minutes % 60} min"
        if late_minutes >= 60
        else f"{late_minutes} min"
    )
    holder = f"taken by {mention(taken_by)}" if taken_by else "nobody has taken it"
    text = (
        f"⚠️ Scheduled run of {bold(title)} in {_channel(channel_id)} is {late} overdue ({holder})."
    )
    return {
        "text": escape(f"Scheduled run of {title} is {late} overdue"),
        "blocks": [section(text, block_id="overdue")],
    }
