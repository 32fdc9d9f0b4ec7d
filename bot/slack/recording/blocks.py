"""Messages of a recording: the thread's start, each step heard, the finished SOP."""

from __future__ import annotations

from typing import Any

from bot.core.durations import step_time_text
from bot.core.mrkdwn import escape
from bot.services.recording import Finished
from bot.slack.ids import Action
from bot.slack.kit.blocks import (
    actions,
    bold,
    button,
    code,
    context,
    header,
    mention,
    mrkdwn,
    plain,
    plural,
    section,
)
from bot.slack.kit.limits import MAX_BLOCKS, MESSAGE_CHARS, block_chars, fitting, truncate
from bot.slack.kit.steps import content_blocks, title_block

FALLBACK_CHARS = 300
EVENTS = "`message.channels`, `message.groups` and `message.im`"
SCOPES = "`channels:history`, `groups:history` and `im:history`"
HOW = (
    "First line: the step's title. Below it, optionally `Role: Agent`, `Time: 5m`, "
    "`>` lines for what to say and `- [ ]` lines for a checklist."
)


def _notice(text: str, block_id: str, fallback: str | None = None) -> dict[str, Any]:
    return {
        "text": truncate(fallback or text, FALLBACK_CHARS),
        "blocks": [section(text, block_id=block_id)],
    }


def usage() -> dict[str, Any]:
    """`/sop record` without a title."""
    return _notice(
        "Give the new SOP a title: `/sop record Open the shop`. Then do the work, posting "
        "each step in the thread as you go.",
        "record-usage",
    )


def too_long(limit: int) -> dict[str, Any]:
    """A title Slack's headers could not show."""
    return _notice(f"Keep the title to {limit} characters.", "record-too-long")


def missing_scopes(missing: list[str]) -> dict[str, Any]:
    """The app cannot hear thread messages: what to add to it."""
    text = (
        "Recording needs Slack to send sopbot the messages posted in its thread, and this "
        f"app is missing {', '.join(code(m) for m in missing)}. Ask whoever manages the Slack "
        f"app to add the bot events {EVENTS} and the scopes {SCOPES} "
        "(deploy/slack-app-manifest.yml has them), then reinstall it."
    )
    return _notice(text, "record-scopes", "Recording needs message events; see the details.")


def cannot_post() -> dict[str, Any]:
    """The bot cannot post where /sop record was typed."""
    return _notice(
        "I can't post in this conversation. Invite me to the channel (`/invite @sopbot`) or "
        "record in a DM with me.",
        "record-cannot-post",
    )


def _discard(value: str) -> dict[str, Any]:
    """Discard, behind Slack's confirm dialog."""
    confirm = {
        "title": plain("Discard this recording?", 100),
        "text": mrkdwn("Its steps are deleted. The thread stays."),
        "confirm": plain("Discard", 30),
        "deny": plain("Keep it", 30),
        "style": "danger",
    }
    return button(
        "Discard", action_id=Action.RECORD_DISCARD, value=value, style="danger", confirm=confirm
    )


def started(*, title: str, recording_id: int) -> dict[str, Any]:
    """The thread's parent: what to do, and the recording's buttons."""
    value = str(recording_id)
    line = f"🎙️ Recording {bold(title)}: post each step in this thread as you do it"
    buttons = [
        button("Undo last step", action_id=Action.RECORD_UNDO, value=value),
        button("Finish", action_id=Action.RECORD_FINISH, value=value, style="primary"),
        _discard(value),
    ]
    return {
        "text": truncate(f"Recording {escape(title)}: post each step in this thread", 300),
        "blocks": [
            section(line, block_id="record-title"),
            context(HOW, block_id="record-how"),
            actions(buttons, block_id="record-actions"),
        ],
    }


def step_recorded(*, number: int, seconds: float) -> dict[str, Any]:
    """`Step 4 recorded (6 min after step 3)`."""
    after = "you started" if number == 1 else f"step {number - 1}"
    text = f"Step {number} recorded ({step_time_text(max(seconds, 0))} after {after})"
    return _notice(text, "record-step")


def not_recorder(recorder: str) -> dict[str, Any]:
    """Someone else posted in the thread."""
    text = (
        f"Only {mention(recorder)}'s messages in this thread become steps of the recording; "
        "yours was not recorded."
    )
    return _notice(text, "record-not-yours", "Only the recorder's messages become steps.")


def undone(number: int) -> dict[str, Any]:
    """Undo last step."""
    return _notice(
        f"↩️ Step {number} removed. Your next message here becomes step {number}.", "record-undo"
    )


def discarded(title: str) -> dict[str, Any]:
    """Discard."""
    return _notice(f"🗑️ Recording of {bold(title)} discarded; its steps are deleted.", "record-gone")


def refused(text: str) -> dict[str, Any]:
    """Why a button did nothing (plain text from the service)."""
    return _notice(escape(text), "record-refused")


def finished_parent(done: Finished) -> dict[str, Any]:
    """The thread's parent once finished: no Undo or Finish any more, Discard until published."""
    steps = plural(len(done.sop.steps), "step")
    line = f"📝 Recorded {bold(done.sop.title)}: {steps}, finished by {mention(done.user_id)}"
    how = "Publish it or download its Markdown from the message in this thread."
    return {
        "text": truncate(f"Recorded {escape(done.sop.title)}: {steps}", 300),
        "blocks": [
            section(line, block_id="record-title"),
            context(how, block_id="record-how"),
            actions([_discard(str(done.recording_id))], block_id="record-actions"),
        ],
    }


def published_parent(*, title: str, slug: str, number: int, publisher: str) -> dict[str, Any]:
    """The thread's parent once published: what it became, and no buttons."""
    line = (
        f"✅ Published as v{number} of {bold(title)} ({code(slug)}) by {mention(publisher)}. "
        f"Anyone can start it with {code('/sop ' + slug)}."
    )
    return _notice(line, "record-title", f"Published as v{number} of {escape(title)}")


def _step(done: Finished, n: int) -> list[dict[str, Any]]:
    """Step `n` as a run shows it, with its role and time."""
    step = done.sop.steps[n - 1]
    blocks = [title_block(done.sop, n)]
    said = [f"Role: {bold(step.role, 100)}"] if step.role else []
    if step.expected_seconds:
        said.append(f"Time: {step_time_text(step.expected_seconds)}")
    if said:
        blocks.append(context(" · ".join(said), block_id=f"step-{n}-role"))
    return blocks + content_blocks(step, n)


def _more(left: int, total: int) -> dict[str, Any]:
    text = f"…and {plural(left, 'more step')}; Download Markdown to see all {total}."
    return context(text, block_id="record-done-more")


def finished(done: Finished, *, published: str | None = None) -> dict[str, Any]:
    """One message: the steps as a run shows them, as many as fit, then Publish and Download.

    Whole steps, as many as 50 blocks and MESSAGE_CHARS allow, then "…and N more steps" (one
    message, so Publish can be taken off it once published); `published` replaces Publish.
    """
    sop = done.sop
    facts = (
        f"id {code(done.slug)} · {plural(len(sop.steps), 'step')} · owner {mention(done.user_id)}"
        " · fill in the background, outcome and audience before or after publishing"
    )
    head = [
        header(escape(sop.title), block_id="record-done-title"),
        context(facts, block_id="record-done-facts"),
    ]
    value = str(done.recording_id)
    download = button("Download Markdown", action_id=Action.RECORD_DOWNLOAD, value=value)
    publish = button("Publish", action_id=Action.RECORD_PUBLISH, value=value, style="primary")
    tail = [
        actions([download] if published else [publish, download], block_id="record-done-actions")
    ]
    if published:
        tail.insert(0, context(published, block_id="record-done-published"))
    steps = [_step(done, n) for n in range(1, len(sop.steps) + 1)]
    total = len(steps)
    # Room for the steps; when not all fit, the note saying how many more takes some of it.
    room = MAX_BLOCKS - len(head) - len(tail)
    chars = MESSAGE_CHARS - block_chars(head + tail)
    shown = fitting(steps, blocks=room, chars=chars)
    if shown < total:
        note = _more(total, total)
        shown = fitting(steps, blocks=room - 1, chars=chars - block_chars([note]))
    blocks = head + [block for step in steps[:shown] for block in step]
    if shown < total:
        blocks.append(_more(total - shown, total))
    text = truncate(f"Recorded {escape(sop.title)}: {plural(total, 'step')}", 300)
    return {"text": text, "blocks": blocks + tail}


def published(*, title: str, slug: str, number: int, git: str | None) -> dict[str, Any]:
    """Publish worked (and what git said, when it failed)."""
    text = (
        f"✅ Published {bold(title)} as {code(slug)} v{number}: `{escape(slug)}.md` is in "
        f"SOPS_DIR. Anyone can start it with {code('/sop ' + slug)}."
    )
    if git:
        text += f"\n⚠️ The file is saved but git did not take it: {escape(git)}"
    return _notice(text, "record-published")


def publish_refused(manager_channel: str | None) -> dict[str, Any]:
    """Someone who may not publish pressed Publish."""
    who = ["sopbot admins", "workspace admins"]
    if manager_channel:
        who.append(f"members of <#{manager_channel}>")
    text = (
        f"Only {', '.join(who)} can publish a new SOP. Press Download Markdown and hand them "
        "the file, or ask one of them to press Publish. Nothing was published."
    )
    return _notice(text, "record-publish-refused", "Only managers and admins can publish.")


def renamed(*, taken: str, slug: str) -> dict[str, Any]:
    """Publish found the id taken meanwhile: nothing published, a new id to check."""
    text = (
        f"An SOP with the id {code(taken)} appeared since Finish, so nothing was published. "
        f"This recording now has the id {code(slug)} (the message with Publish shows it): "
        "press Publish again to publish it."
    )
    return _notice(text, "record-renamed", "The id was taken meanwhile; press Publish again.")
