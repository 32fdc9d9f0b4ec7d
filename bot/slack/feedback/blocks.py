"""Feedback messages: routed to the owner and managers, confirmations, notices, lists, Home."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.edit import line_diff, word_diff
from bot.core.mrkdwn import escape
from bot.services.feedback import FeedbackItem, Given
from bot.slack.ids import Action
from bot.slack.kit.blocks import actions, bold, button, channel_mention, context, mention, section
from bot.slack.kit.limits import MESSAGE_CHARS, block_chars, split_text, truncate

KIND_LABELS = {
    "problem": "🔴 Problem",
    "suggestion": "💡 Suggestion",
    "question": "❓ Question",
    "praise": "👏 Praise",
}
QUOTE_SECTIONS = 3  # 3,000 characters escape to at most ~9,000 in the worst case (all "&")
EXCERPT_CHARS = 200
FALLBACK_CHARS = 300
MAX_LISTED = 20
HOME_LISTED = 10
LIST_CHARS = MESSAGE_CHARS - 1500  # room for the heading and the "and N more" line
INLINE_DIFF_CHARS = 1500  # longer suggestions show as a -/+ code block
USAGE = (
    "*Tell an SOP's owner what to fix*\n"
    "`/feedback` — open the feedback form\n"
    "`/feedback SOP STEP TEXT` — e.g. `/feedback refund 3 the approval link is dead` "
    "(start TEXT with `question:`, `suggestion:` or `praise:` for another kind than problem)\n"
    "`/feedback list [SOP]` — open feedback, oldest first (managers and SOP owners)\n"
    "`/feedback help` — this message\n"
    "Or press *Feedback on this step* while you follow an SOP."
)


def kind_label(kind: str) -> str:
    """`🔴 Problem`."""
    return KIND_LABELS.get(kind, escape(kind))


def quote(text: str) -> str:
    """Untrusted text as a mrkdwn quote: escaped, so it can ping nobody."""
    return "\n".join(f"> {line}".rstrip() for line in escape(text.strip()).split("\n"))


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The text on one line, escaped and cut."""
    return truncate(escape(" ".join(text.split())), limit)


def age(seconds: float) -> str:
    """`just now`, `12 min`, `5 h`, `3 d`."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def where(card: FeedbackItem) -> str:
    """*SOP title* v2 · step 3: *Step title*."""
    return (
        f"{bold(card.sop_title)} v{card.revision} · step {card.step_number}: "
        f"{bold(card.step_title)}"
    )


def status_line(card: FeedbackItem, *, reason_chars: int = 500) -> str:
    """Where the item stands, in words."""
    by = f" by {mention(card.handled_by)}" if card.handled_by else ""
    reason = f": {excerpt(card.reason, reason_chars)}" if card.reason else ""
    line = {
        "open": "🟡 Open",
        "acknowledged": f"👀 Acknowledged{by}",
        "resolved": f"✅ Resolved{by}{reason}",
        "wont_fix": f"🚫 Won't fix{by}{reason}",
        "withdrawn": "↩️ Withdrawn by its author",
    }.get(card.status, escape(card.status))
    if card.addressed_in is not None:
        line += f" · ✏️ step changed in v{card.addressed_in}"
    return line


def _quote_sections(card: FeedbackItem, prefix: str) -> list[dict[str, Any]]:
    chunks = split_text(quote(card.text))[:QUOTE_SECTIONS] if card.text.strip() else []
    return [section(chunk, block_id=f"{prefix}-quote-{i}") for i, chunk in enumerate(chunks)]


def _fallback(text: str) -> str:
    return truncate(text, FALLBACK_CHARS)


def _marked(marker: str, words: str) -> str:
    """Words struck through or in bold; the markers themselves are taken out of the words."""
    cleaned = escape(words.replace(marker, ""))
    return f"{marker}{cleaned}{marker}" if cleaned.strip() else ""


def suggestion_diff(before: str, after: str) -> str:
    """The suggested wording against the step: removed words struck, added words in bold, or
    `-`/`+` lines in a code block when that would be long."""
    runs = word_diff(before, after)
    marks = {"-": "~", "+": "*"}
    inline = " ".join(
        escape(words) if op == "=" else _marked(marks[op], words) for op, words in runs
    )
    if len(inline) <= INLINE_DIFF_CHARS:
        return inline
    lines = line_diff(before, after)
    return "```" + escape("\n".join(lines)) + "```"


def _suggestion_sections(card: FeedbackItem, prefix: str) -> list[dict]:
    if not card.suggestion:
        return []
    chunks = split_text(suggestion_diff(card.step_body, card.suggestion))[:QUOTE_SECTIONS]
    head = section("*Suggested wording* (~removed~, *added*)", block_id=f"{prefix}-sugg")
    return [head] + [
        section(chunk, block_id=f"{prefix}-sugg-{i}") for i, chunk in enumerate(chunks)
    ]


def routed_message(card: FeedbackItem, *, note: str = "") -> dict:
    """What the owner and the manager channel see, with the handling buttons while open."""
    p = f"fb-{card.feedback_id}"
    author = mention(card.author_id) if card.author_id else "someone who chose to stay anonymous"
    blocks = [
        section(f"*Feedback* · {kind_label(card.kind)}\n{where(card)}", block_id=f"{p}-head"),
        *_quote_sections(card, p),
        *_suggestion_sections(card, p),
        context(f"From {author} · {status_line(card)}", block_id=f"{p}-status"),
    ]
    if note:
        blocks.append(context(escape(note), block_id=f"{p}-note"))
    if card.is_open:
        value = str(card.feedback_id)
        buttons = [button("Resolve", action_id=Action.FEEDBACK_RESOLVE, value=value)]
        buttons.append(button("Won't fix", action_id=Action.FEEDBACK_WONT_FIX, value=value))
        if card.status == "open":
            ack = button("Acknowledge", action_id=Action.FEEDBACK_ACKNOWLEDGE, value=value)
            buttons.insert(0, {**ack, "style": "primary"})
        blocks.append(actions(buttons, block_id=f"{p}-actions"))
        edits = [button("Edit step", action_id=Action.EDIT_STEP, value=value)]
        if card.suggestion:
            edits = [
                button("Accept suggestion", action_id=Action.ACCEPT_SUGGESTION, value=value),
                button("Edit and accept", action_id=Action.EDIT_AND_ACCEPT, value=value),
                *edits,
            ]
        blocks.append(actions(edits, block_id=f"{p}-edit"))
    text = (
        f"{KIND_LABELS.get(card.kind, 'Feedback')} on step {card.step_number} of "
        f"{escape(card.sop_title)}: {excerpt(card.text, 150)}"
    )
    return {"text": _fallback(text), "blocks": blocks}


def status_update(card: FeedbackItem) -> dict:
    """The DM telling the author what happened to their feedback."""
    about = f"Your feedback on step {card.step_number} of {escape(card.sop_title)}"
    by = f" by {mention(card.handled_by)}" if card.handled_by else ""
    verb = {
        "acknowledged": f"was acknowledged{by}",
        "resolved": f"was resolved{by}",
        "wont_fix": f"will not be acted on (decided{by})",
    }.get(card.status, f"is now {escape(card.status)}")
    line = f"{about} {verb}."
    blocks = [section(line, block_id="fb-update")]
    if card.reason:
        blocks.append(section(f"*Why*\n{quote(card.reason)}", block_id="fb-update-why"))
    blocks.append(context(f"You wrote: “{excerpt(card.text)}”", block_id="fb-update-was"))
    return {"text": _fallback(f"{about} {verb}."), "blocks": blocks}


def addressed(card: FeedbackItem, *, version: int) -> dict:
    """The DM telling the author that a new revision changed the step they wrote about."""
    line = (
        f"Your feedback on step {card.step_number} of {escape(card.sop_title)} "
        f"led to a change in v{version}"
    )
    blocks = [
        section(f"✏️ {line}. Thank you!", block_id="fb-addressed"),
        context(f"You wrote: “{excerpt(card.text)}”", block_id="fb-addressed-was"),
    ]
    return {"text": _fallback(line), "blocks": blocks}


def confirmation(card: FeedbackItem, *, recipient: str, undo_minutes: int) -> dict:
    """The one-line path's ephemeral: what was understood, and Undo."""
    head = f"✅ Thanks! Your feedback is on its way to {recipient}."
    blocks = [
        section(head, block_id="fb-done"),
        section(f"{kind_label(card.kind)} on {where(card)}", block_id="fb-done-where"),
        *_quote_sections(card, "fb-done"),
        actions(
            [button("Undo", action_id=Action.FEEDBACK_UNDO, value=str(card.feedback_id))],
            block_id="fb-done-actions",
        ),
        context(f"You can undo it for {undo_minutes} minutes.", block_id="fb-done-hint"),
    ]
    return {
        "text": _fallback(f"Thanks! Your feedback is on its way to {recipient}."),
        "blocks": blocks,
    }


def withdrawn(card: FeedbackItem) -> dict:
    """What the confirmation becomes after Undo."""
    text = f"↩️ Withdrawn: your feedback on step {card.step_number} of {bold(card.sop_title)}."
    fallback = f"Withdrawn: your feedback on step {card.step_number} of {escape(card.sop_title)}."
    return {"text": _fallback(fallback), "blocks": [section(text, block_id="fb-withdrawn")]}


def help_message() -> dict:
    """`/feedback help`."""
    return {
        "text": "How to give feedback with /feedback",
        "blocks": [section(USAGE, block_id="fb-help")],
    }


def _item(
    card: FeedbackItem, now: datetime, *, block_id: str, mine: bool = False, edit: bool = False
) -> dict:
    when = age((now - card.created_at).total_seconds())
    facts = f"{kind_label(card.kind)} · {when} old"
    if mine or not card.is_open or card.addressed_in is not None:
        facts += f" · {status_line(card, reason_chars=100)}"
    text = f"{where(card)}\n{facts}"
    if card.text.strip():
        text += f"\n> {excerpt(card.text)}"
    if edit:
        value = str(card.feedback_id)
        accessory = button("Edit step", action_id=Action.EDIT_STEP, value=value)
        return section(text, block_id=block_id, accessory=accessory)
    return section(text, block_id=block_id)


def _items(
    cards: Sequence[FeedbackItem],
    now: datetime,
    *,
    prefix: str,
    room: int,
    mine: bool = False,
    edit: bool = False,
) -> list[dict]:
    """Up to `room` items within LIST_CHARS of text, then how many were left out."""
    blocks: list[dict] = []
    used = 0
    for i, card in enumerate(cards[:room]):
        block = _item(card, now, block_id=f"{prefix}-{i}", mine=mine, edit=edit)
        used += block_chars(block)
        if used > LIST_CHARS:
            break
        blocks.append(block)
    if len(cards) > len(blocks):
        # A person's own list is fetched one past what fits, so its length is not a count.
        more = (
            "…and older ones."
            if mine
            else f"…and {len(cards) - len(blocks)} more. `sopbot feedback export` has them all."
        )
        blocks.append(context(more, block_id=f"{prefix}-more"))
    return blocks


def open_list(cards: Sequence[FeedbackItem], *, now: datetime, scope: str = "") -> dict:
    """`/feedback list`: open and acknowledged items, oldest first."""
    title = f"Open feedback{' on ' + bold(scope) if scope else ''}"
    if not cards:
        return {
            "text": "No open feedback.",
            "blocks": [section(f"{title}: none. 🎉", block_id="fb-list")],
        }
    blocks = [section(f"*{title}* ({len(cards)}), oldest first", block_id="fb-list")]
    blocks += _items(cards, now=now, prefix="fb-list", room=MAX_LISTED, edit=True)
    return {"text": f"Open feedback ({len(cards)})", "blocks": blocks}


def home_sections(
    *, mine: Sequence[FeedbackItem], open_items: Sequence[FeedbackItem] | None, now: datetime
) -> list[list[dict]]:
    """Home tab sections: open feedback for managers (None for others), then your own."""
    sections: list[list[dict]] = []
    if open_items is not None:
        head = f"*Open feedback* ({len(open_items)}), oldest first"
        blocks = [section(head, block_id="home-fb-open")]
        if open_items:
            blocks += _items(open_items, now=now, prefix="home-fb-open", room=HOME_LISTED)
        else:
            blocks.append(context("Nothing waiting. 🎉", block_id="home-fb-open-none"))
        sections.append(blocks)
    blocks = [section("*Your feedback*", block_id="home-fb-mine")]
    if mine:
        blocks += _items(mine, now=now, prefix="home-fb-mine", room=HOME_LISTED, mine=True)
    else:
        hint = "None yet. Type `/feedback` to tell an SOP's owner what to fix."
        blocks.append(context(hint, block_id="home-fb-mine-none"))
    sections.append(blocks)
    return sections


def recipients(given: Given, *, manager_channel: str | None) -> str:
    """Who the feedback went to, for the person who gave it."""
    item = given.item
    assert item is not None
    if given.owner_reached:
        also = (
            f" and the managers in <#{manager_channel}>"
            if manager_channel in given.recipients
            else ""
        )
        return f"the owner of {bold(item.sop_title)}{also}"
    if manager_channel is not None and manager_channel in given.recipients:
        return f"the managers in <#{manager_channel}> (the SOP's owner could not be reached)"
    if given.recipients:
        return "sopbot's admins (the SOP's owner could not be reached)"
    return "no one yet: the SOP's owner could not be reached. Managers see it in /feedback list"


def refusal(item: FeedbackItem, *, manager_channels: Sequence[str] = ()) -> dict:
    """Someone without the right pressed a handling button; `manager_channels` are IDs, the
    SOP's own `managers:` channel first."""
    channels = " or ".join(channel_mention(c) for c in manager_channels)
    who = f"sopbot admins or members of {channels}" if channels else "sopbot admins"
    text = (
        f"Only the owner of {bold(item.sop_title)}, workspace admins, {who} can handle "
        "feedback on it. Nothing was changed."
    )
    return {
        "text": "Only the SOP's owner and managers can handle this feedback.",
        "blocks": [section(text, block_id="fb-refused")],
    }


def already(item: FeedbackItem) -> dict:
    """A press on an item that has moved on."""
    text = f"Already done: {status_line(item)}."
    return {
        "text": _fallback(f"That feedback is already {item.status}."),
        "blocks": [section(text, block_id="fb-already")],
    }


NOTICES = {
    "too_late": (
        "Undo works for 10 minutes and that time is up; the owner has it now. "
        "Send a follow-up with /feedback if it needs correcting."
    ),
    "not_author": "Only the person who sent that feedback can undo it.",
    "stale": "That feedback was already withdrawn or handled.",
    "missing": "That feedback no longer exists.",
    "list_refused": (
        "/feedback list is for managers and SOP owners. "
        "Your own feedback and its status are on sopbot's Home tab."
    ),
}
