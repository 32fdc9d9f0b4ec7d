"""The daily digest and `/sop kpis` in Block Kit: headline, what needs attention, numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.core.kpis import Digest, Kpis, Reason, SopKpis, headline, minutes, name_list, percent
from bot.core.kpis.adherence import AdherenceRow
from bot.core.kpis.fmt import plural
from bot.core.kpis.handoffs import SopHandoffs
from bot.core.mrkdwn import escape
from bot.slack.ids import Action
from bot.slack.kit.blocks import (
    USER_ID_RE,
    bold,
    button,
    code,
    context,
    header,
    mention,
    section,
)
from bot.slack.kit.limits import MAX_BLOCKS, MESSAGE_CHARS, block_chars, truncate

CHAR_BUDGET = MESSAGE_CHARS - 2_500  # room kept for the closing lines after the lists
TAIL_BLOCKS = 5  # blocks kept free for "and N more", schedule, content gaps and the chart note
MAX_SCHEDULE_LINES = 10
MAX_PACES = 8  # timed steps listed under one SOP's KPIs
SCHEDULE_CHARS = 1_500
MAX_PEOPLE = 20


def _signed(value: float | None) -> str:
    return "—" if value is None else f"{value:+.0f}"


def _fits(blocks: list[dict], extra: dict, limit: int) -> bool:
    return len(blocks) + 1 + TAIL_BLOCKS <= limit and (
        block_chars(blocks) + block_chars(extra) <= CHAR_BUDGET
    )


def _details(slug: str) -> dict[str, Any]:
    return button("Details", action_id=Action.DIGEST_DETAILS, value=slug)


def reason_section(r: Reason, *, block_id: str) -> dict[str, Any]:
    """One SOP that needs attention: its title, the one number that says why, a drill-down."""
    text = f"{bold(r.title)} — {escape(r.text)} · health {r.health}"
    return section(text, block_id=block_id, accessory=_details(r.slug))


def trend_line(d: Digest) -> str:
    """Last 7 days against the 7 before."""
    w = d.week.total
    return (
        f"Last 7 days: {plural(w.usage.runs_started, 'run')}"
        f" ({_signed(d.week_runs.change)} on the 7 days before),"
        f" {percent(w.completion)} completed (was {percent(w.previous_completion)}),"
        f" {plural(w.usage.people, 'person', 'people')}, {plural(w.usage.lookups, 'lookup')}"
        f" · run time median {minutes(w.run_time.median_minutes)},"
        f" p90 {minutes(w.run_time.p90_minutes)}"
    )


def digest_message(d: Digest, *, with_chart: bool) -> dict[str, Any]:
    """The digest for the managers' channel: at most 50 blocks, whatever the number of SOPs."""
    title = f"Daily digest · {d.day:%a %d %b %Y}"
    top = headline(d)
    blocks: list[dict[str, Any]] = [
        header(title, block_id="digest-title"),
        section(f"*{top}*", block_id="digest-headline"),
        context(escape(trend_line(d)), block_id="digest-trend"),
        {"type": "divider", "block_id": "digest-divider"},
    ]
    shown = 0
    if d.attention:
        blocks.append(section("*Needs attention*", block_id="digest-attention"))
        for index, reason in enumerate(d.attention):
            block = reason_section(reason, block_id=f"digest-sop-{index}")
            if not _fits(blocks, block, MAX_BLOCKS):
                break
            blocks.append(block)
            shown += 1
    left = len(d.attention) - shown
    on_track = len(d.rows) - len(d.attention)
    closing = []
    if left:
        closing.append(f"…and {plural(left, 'more SOP')} need attention: `/sop kpis` lists them.")
    if d.attention and on_track:
        closing.append(f"And {plural(on_track, 'more SOP')} on track.")
    elif not d.attention:
        closing.append(f"All {plural(len(d.rows), 'SOP')} on track." if d.rows else "No SOPs yet.")
    if closing:
        blocks.append(context(" ".join(closing), block_id="digest-rest"))
    if d.slower_handoffs:
        slower = "; ".join(escape(s.text) for s in d.slower_handoffs[:3])
        blocks.append(context(truncate(f"⏳ {slower}", 2000), block_id="digest-handoffs"))
    if d.schedule:
        blocks.append(schedule_section(d.schedule, block_id="digest-schedule"))
    gaps = d.week.total.content_gaps
    if gaps:
        found = ", ".join(f"“{truncate(escape(g.query), 60)}” ×{g.count}" for g in gaps)
        blocks.append(context(f"Searches that found nothing: {found}", block_id="digest-gaps"))
    if with_chart:
        blocks.append(
            context("The 14-day trend chart follows in the thread.", block_id="digest-chart")
        )
    return {"text": f"{title}: {top}", "blocks": blocks}


def _people(user_ids: Sequence[str]) -> str:
    shown = [mention(u) if USER_ID_RE.match(u) else code(u) for u in user_ids]
    return name_list(shown, limit=MAX_PEOPLE)


def _sop_fields(k: SopKpis) -> list[str]:
    u, rt, c, f, q = k.usage, k.run_time, k.coverage, k.feedback, k.quiz
    was = f" (was {percent(k.previous_completion)})" if k.previous_completion is not None else ""
    lines = [
        f"*Runs* {u.runs_started} started, {u.runs_completed} completed,"
        f" {u.runs_abandoned} stopped",
        f"*Completion* {percent(k.completion)}{was} of {plural(k.eligible_runs, 'finished run')}",
        f"*Run time* median {minutes(rt.median_minutes)}, p90 {minutes(rt.p90_minutes)}",
        f"*People* {u.people} · *lookups* {u.lookups}",
        f"*Training coverage* {percent(c.rate)} ({c.passed} of {c.audience})",
        f"*Feedback* {f.new} new, {f.open} open ({f.open_problems} problems),"
        f" {f.resolved} resolved",
    ]
    if rt.slowest_step is not None:
        lines.append(f"*Slowest step* {rt.slowest_step} ({minutes(rt.slowest_step_minutes)})")
    if k.drop_off is not None:
        lines.append(f"*Most stopped at* step {k.drop_off.step} ({k.drop_off.count}×)")
    if k.paces:
        lines.append(f"*Against expected times* {pace_line(k)}")
    if q.first_attempts:
        lines.append(f"*Quiz* {percent(q.first_attempt_pass_rate)} passed first time")
    if k.adherence.outdated:
        lines.append(f"*Outdated revision* {plural(k.adherence.outdated, 'run')}")
    if k.stale is not None:
        lines.append(f"*Review* {escape(k.stale.text)}")
    return lines


def pace_line(k: SopKpis) -> str:
    """Each timed step's median against its expected time: step 3 2.4× its 5 min (over)."""
    shown = [
        f"step {p.step} {p.times:.1f}× its {p.expected}" + (" (over)" if p.over else "")
        for p in k.paces[:MAX_PACES]
    ]
    more = len(k.paces) - len(shown)
    return "; ".join(shown) + (f" and {plural(more, 'more step')}" if more > 0 else "")


def schedule_section(rows: Sequence[AdherenceRow], *, block_id: str) -> dict[str, Any]:
    """Scheduled runs per SOP and channel: "Close the till in #store-42: 5 of 7 on time, ..."."""
    lines = [f"• {escape(r.line())}" for r in rows[:MAX_SCHEDULE_LINES]]
    if len(rows) > MAX_SCHEDULE_LINES:
        lines.append(f"…and {plural(len(rows) - MAX_SCHEDULE_LINES, 'more')}")
    text = truncate("*Scheduled runs*\n" + "\n".join(lines), SCHEDULE_CHARS)
    return section(text, block_id=block_id)


def sop_kpis_message(
    k: SopKpis, *, days: int, schedule: Sequence[AdherenceRow] = ()
) -> dict[str, Any]:
    """`/sop kpis SOP`: one SOP's numbers over the last `days` days."""
    h = k.health
    why = f"health {h.score}: {escape(h.why)}"
    if h.weakest_step is not None:
        why += f" · weakest step {h.weakest_step}"
        if h.weakest_step_title:
            why += f" {bold(h.weakest_step_title, 80)}"
    blocks = [
        header(f"{escape(k.title)} — last {days} days", block_id="kpis-title"),
        context(f"{code(k.slug)} · {why}", block_id="kpis-health"),
        section("\n".join(_sop_fields(k)), block_id="kpis-numbers"),
    ]
    if schedule:
        blocks.append(schedule_section(schedule, block_id="kpis-schedule"))
    if k.coverage.overdue:
        text = f"*Overdue* {_people(k.coverage.overdue)}"
        blocks.append(section(text, block_id="kpis-overdue"))
    if k.coverage.pending:
        blocks.append(section(f"*Pending* {_people(k.coverage.pending)}", block_id="kpis-pending"))
    summary = f"{escape(' '.join(k.title.split()))[:150]}: health {h.score}"
    return {"text": summary, "blocks": blocks}


def handoff_section(h: SopHandoffs) -> dict[str, Any]:
    """Hand-off waits per role and the slowest hand-off, under one SOP's KPIs."""
    text = "\n".join(escape(line) for line in h.lines())
    return section(truncate(f"*Hand-offs*\n{text}", 3000), block_id="kpis-handoffs")


def kpis_message(kpis: Kpis, *, days: int, schedule: Sequence[AdherenceRow] = ()) -> dict[str, Any]:
    """`/sop kpis`: the totals over the last `days` days, then SOPs least healthy first."""
    t = kpis.total
    was = f" (was {percent(t.previous_completion)})" if t.previous_completion is not None else ""
    totals = [
        f"*Runs* {t.usage.runs_started} started, {percent(t.completion)} completed{was}",
        f"*Run time* median {minutes(t.run_time.median_minutes)},"
        f" p90 {minutes(t.run_time.p90_minutes)}",
        f"*People* {t.usage.people} · *lookups* {t.usage.lookups}",
        f"*Training coverage* {percent(t.coverage.rate)}"
        f" ({t.coverage.passed} of {t.coverage.audience})",
        f"*Open feedback* {t.feedback.open} ({t.feedback.open_problems} problems)",
        f"*Due for review* {len(t.stale)}",
    ]
    blocks: list[dict[str, Any]] = [
        header(f"KPIs — last {days} days", block_id="kpis-title"),
        section("\n".join(totals), block_id="kpis-totals"),
    ]
    if schedule:
        blocks.append(schedule_section(schedule, block_id="kpis-schedule"))
    rows = sorted(kpis.sops.values(), key=lambda k: (k.health.score, k.slug))
    shown = 0
    for index, k in enumerate(rows):
        text = f"{bold(k.title)} {code(k.slug)} — health {k.health.score}: {escape(k.health.why)}"
        block = section(text, block_id=f"kpis-sop-{index}", accessory=_details(k.slug))
        if not _fits(blocks, block, MAX_BLOCKS):
            break
        blocks.append(block)
        shown += 1
    if shown < len(rows):
        more = f"…and {plural(len(rows) - shown, 'more SOP')}: `/sop kpis SOP` shows one."
        blocks.append(context(more, block_id="kpis-more"))
    text = f"KPIs, last {days} days: {t.usage.runs_started} runs, {percent(t.completion)} completed"
    return {"text": text, "blocks": blocks}


HOME_NAMED = 10  # SOPs named on the Home tab of someone who manages only some


def home_section(
    kpis: Kpis, *, sops: Sequence[tuple[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Today's KPIs on a manager's Home tab (block IDs start with home-kpis); `sops`, as
    (slug, title), when they cover only the SOPs this person manages."""
    t = kpis.total
    numbers = (
        f"{plural(t.usage.runs_started, 'run')}, {percent(t.completion)} completed,"
        f" training coverage {percent(t.coverage.rate)}, {t.feedback.open} open feedback"
    )
    if sops is None:
        text, hint = f"*Today so far* {numbers}", "`/sop kpis` has the last 7 days per SOP."
    else:
        named = ", ".join(escape(truncate(title, 60)) for _, title in sops[:HOME_NAMED])
        more = len(sops) - HOME_NAMED
        named += f" and {more} more" if more > 0 else ""
        text = f"*Today so far in the SOPs you manage* ({named}): {numbers}"
        hint = f"`/sop kpis {escape(sops[0][0])}` has its last 7 days"
        hint += "; name another of yours the same way." if len(sops) > 1 else "."
    return [
        section(text, block_id="home-kpis"),
        context(hint, block_id="home-kpis-hint"),
    ]


def refusal() -> dict[str, Any]:
    """The friendly refusal for staff asking for KPIs."""
    text = (
        "KPIs are for managers (admins, SOP owners and the managers' channel). "
        "`/sop training` shows your own training."
    )
    return {"text": text, "blocks": [section(text, block_id="kpis-refusal")]}
