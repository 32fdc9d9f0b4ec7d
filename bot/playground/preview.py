"""The SOP preview panel: every step exactly as the bot posts it, the diff, the DMs it caused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.diff import RevisionDiff
from bot.core.model import Sop
from bot.db import sops as repo
from bot.playground import frames
from bot.playground.frames import Row
from bot.playground.render import Context, Names, esc
from bot.services import edits
from bot.slack.runs.blocks import run_parent, step_messages

if TYPE_CHECKING:
    from bot.db.models import SopRecord
    from bot.playground.wiring import Playground

MAX_DMS = 20


def publish_banner(play: Playground) -> str:
    """Validation errors of the last publish (`file:line: message`), shown on every view."""
    last = play.watcher.last
    if last is None or not last.errors:
        return ""
    items = "".join(f"<li><code>{esc(e)}</code></li>" for e in last.errors)
    return (
        '<div class="banner banner-error" role="alert"><b>Not published</b> — fix these and '
        f"save; the bot keeps serving the last good revisions.<ul>{items}</ul></div>"
    )


def panel(play: Playground, slug: str, zone: ZoneInfo, names: Names) -> str:
    """Pick an SOP; see its diff, the run's parent and every step message, and recent DMs."""
    with play.runtime.database.session() as session:
        workspace = repo.default_workspace(session)
        live = repo.current_sops(session, workspace_id=workspace.id)
        slug = slug or _last_changed(play, session)
        chosen = next(((r, s) for r, s in live if r.slug == slug), live[0] if live else None)
        picker = "".join(
            f'<option value="{esc(r.slug)}"{" selected" if chosen and r is chosen[0] else ""}>'
            f"{esc(s.title)} (v{r.current_revision.number if r.current_revision else '?'})</option>"
            for r, s in live
        )
        body = (
            _sop(play, *chosen, zone, names)
            if chosen
            else '<p class="empty">No SOP is published.</p>'
        )
    return (
        '<div class="preview" data-inert>'
        '<div class="preview-bar"><label>SOP <select class="select" data-preview-pick>'
        f"{picker}</select></label>"
        f'<span class="preview-hint">Save a file in <code>{esc(play.settings.sops_dir)}</code> '
        "and this page republishes it within a second.</span></div>"
        f"{_last_publish(play)}{body}{_dms(play, zone, names)}</div>"
    )


def _sop(play: Playground, record: SopRecord, sop: Sop, zone: ZoneInfo, names: Names) -> str:
    revision = record.current_revision
    assert revision is not None
    diff = RevisionDiff.from_dict(revision.diff)
    kind = "material — people retrain" if diff.material else "minor — no retraining"
    lines = "".join(f"<li>{esc(line)}</li>" for line in diff.summary_lines())
    head = (
        f'<div class="preview-head"><h2>{esc(sop.title)}</h2><div class="preview-facts">'
        f"<code>{esc(record.path)}</code> · v{revision.number} · {len(sop.steps)} steps · "
        f'{esc(kind)} ({esc(diff.reason)})</div><ul class="diff">{lines}</ul></div>'
    )
    ctx = Context(names=names, interactive=False)
    ts = f"{play.clock.time():.6f}"
    try:
        parent = run_parent(
            title=sop.title,
            revision=revision.number,
            starter_id=play.user,
            step_count=len(sop.steps),
            outcome_md=sop.outcome,
            status="active",
        )
        steps = [
            message
            for n in range(1, len(sop.steps) + 1)
            # As Runner._post_step posts them, so the preview is what people will see.
            for message in step_messages(
                run_id=0,
                visit_id=0,
                sop=sop,
                step_number=n,
                revision=revision.number,
                feedback_button=True,
            )
        ]
    except ValueError as exc:  # the builders refuse what Slack would reject; say so here
        return head + f'<div class="banner banner-error">{esc(exc)}</div>'
    bot = play.ws.bot_user_id
    rows = [Row(ts, bot, "sopbot", m, is_app=True) for m in steps]
    top = frames.message_row(Row(ts, bot, "sopbot", parent, is_app=True), ctx, zone)
    return (
        f"{head}<h3>In the channel</h3>{top}"
        f'<h3>In its thread, one message per step</h3><div class="preview-steps">'
        f"{frames.message_list(rows, ctx, zone, days=False)}</div>"
    )


def _last_changed(play: Playground, session: Session) -> str:
    """The SOP the latest publish that changed one changed: what an author wants to see.

    Not just the last publish: a save that changes nothing (or a second look at a file that
    was still being written) must not switch the preview to another SOP. An edit made from
    Slack (`/sop edit`) counts as such a publish.
    """
    watched = next((r for r in reversed(play.watcher.history) if r.changed), None)
    latest = edits.recent_edits(session, limit=1)
    if latest and (watched is None or latest[0].published_at >= watched.at):
        return latest[0].slug
    return watched.changed[0] if watched is not None else ""


def _last_publish(play: Playground) -> str:
    last = play.watcher.last
    if last is None:
        return ""
    when = esc(last.at.strftime("%H:%M:%S"))
    if last.errors:
        return f'<p class="preview-status bad">Last publish at {when} failed; see above.</p>'
    if not last.lines:
        return f'<p class="preview-status">Last publish at {when}: nothing changed.</p>'
    items = "".join(f"<li><code>{esc(line)}</code></li>" for line in last.lines)
    return f'<div class="preview-status">Last publish at {when}:<ul>{items}</ul></div>'


def _dms(play: Playground, zone: ZoneInfo, names: Names) -> str:
    """Direct messages the bot sent since the last publish (training quizzes, for one)."""
    last = play.watcher.last
    if last is None:
        return ""
    ws = play.ws
    found: list[str] = []
    ctx = Context(names=names, interactive=False)
    for call in play.fake.calls[last.mark :]:
        if call.method != "chat.postMessage" or not call.ok:
            continue
        channel = ws.channels.get(call.response.get("channel", ""))
        message: dict[str, Any] = call.response.get("message") or {}
        if channel is None or not channel.is_im or not message:
            continue
        person = ws.users.get(channel.im_user or "")
        to = f"To {person.real_name if person else channel.im_user}"
        row = Row(message.get("ts", "0"), ws.bot_user_id, "sopbot", message, is_app=True)
        found.append(f'<div class="dm-to">{esc(to)}</div>{frames.message_row(row, ctx, zone)}')
    if not found:
        return '<h3>Direct messages since this publish</h3><p class="empty">None.</p>'
    return "<h3>Direct messages since this publish</h3>" + "".join(found[-MAX_DMS:])
