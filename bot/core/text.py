"""Plain-text rendering of an SOP for terminals and exports."""

from __future__ import annotations

from bot.core.model import Sop


def sop_as_text(sop: Sop, *, revision: int | None = None) -> str:
    """The whole SOP as readable plain text, steps numbered, quiz answers marked."""
    head = sop.title + (f"  (v{revision})" if revision else "")
    lines = [head, "=" * len(head), f"id: {sop.slug}"]
    if sop.owner:
        lines.append(f"owner: {sop.owner}")
    if sop.audience:
        lines.append("audience: " + ", ".join(sop.audience))
    if sop.tags:
        lines.append("tags: " + ", ".join(sop.tags))
    if sop.background:
        lines += ["", sop.background]
    if sop.roles:
        lines += ["", "Roles"]
        lines += [f"  - {r.name}: {r.description}".rstrip(": ") for r in sop.roles]
    lines += ["", "Steps"]
    for step in sop.steps:
        role = f"  [{step.role}]" if step.role else ""
        lines.append(f"  {step.number}. {step.title}{role}")
        lines += [f"     {line}".rstrip() for line in step.body.splitlines()]
    if sop.outcome:
        lines += ["", "Outcome", f"  {sop.outcome}"]
    if sop.quiz:
        lines += ["", f"Quiz (pass mark {sop.pass_mark}%)"]
        for q in sop.quiz:
            tie = f" (step {q.step})" if q.step else ""
            lines.append(f"  {q.number}. {q.text}{tie}")
            lines += [f"     [{'x' if o.correct else ' '}] {o.text}" for o in q.options]
    return "\n".join(lines) + "\n"
