"""What changed between two revisions of an SOP, and whether it means people must retrain."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Literal

from bot.core.model import Question, Sop, Step

ChangeKind = Literal["added", "removed", "moved", "changed"]

# Apostrophes are dropped rather than split on so that "its" -> "it's" stays a
# punctuation-only edit; every other non-alphanumeric splits words, so that
# "3.5" -> "35" or "10:30" -> "1030" still counts as a change in words.
_APOSTROPHES = re.compile(r"['\u2019]")
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> tuple[str, ...]:
    """Return the case-folded words of `text`, ignoring whitespace and punctuation."""
    return tuple(_WORD.findall(_APOSTROPHES.sub("", text.casefold())))


@dataclass(frozen=True)
class StepChange:
    """One step that was added, removed, moved or changed between two revisions.

    `title` is the new title (the old one for "removed"). A step that was both moved
    and changed is one "moved" entry whose `detail` says what changed; a "moved" entry
    with an empty `detail` kept its words.
    """

    kind: ChangeKind
    title: str
    old_number: int | None
    new_number: int | None
    detail: str = ""


@dataclass(frozen=True)
class RevisionDiff:
    """The step and quiz changes of a new revision and the retraining decision."""

    changes: tuple[StepChange, ...]
    quiz_changed: bool
    material: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (stored with the revision)."""
        return {
            "changes": [dict(vars(change)) for change in self.changes],  # flat: asdict's copy
            "quiz_changed": self.quiz_changed,
            "material": self.material,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RevisionDiff:
        """Rebuild a RevisionDiff from `to_dict` output."""
        return cls(
            changes=tuple(StepChange(**change) for change in data["changes"]),
            quiz_changed=bool(data["quiz_changed"]),
            material=bool(data["material"]),
            reason=str(data["reason"]),
        )

    def changed_step_numbers(self) -> tuple[int, ...]:
        """Return the new-revision numbers of steps that were added, moved or changed."""
        return tuple(sorted({c.new_number for c in self.changes if c.new_number is not None}))

    def summary_lines(self) -> list[str]:
        """Return one plain-words line per change, e.g. "Added step 3: Verify the order"."""
        lines = [_summary_line(change) for change in self.changes]
        if self.quiz_changed:
            lines.append("Quiz changed")
        return lines


def _summary_line(change: StepChange) -> str:
    if change.kind == "added":
        return f"Added step {change.new_number}: {change.title}"
    if change.kind == "removed":
        return f"Removed: {change.title}"
    if change.kind == "moved":
        line = f"Moved: {change.title} ({change.old_number} -> {change.new_number})"
        return f"{line}, {change.detail}" if change.detail else line
    if change.detail == "reworded":
        return f"Reworded step {change.new_number}: {change.title}"
    return f"Changed step {change.new_number}: {change.title} ({change.detail})"


def diff_sops(old: Sop | None, new: Sop, *, force_minor: bool = False) -> RevisionDiff:
    """Compare two revisions of an SOP (`old` None for the first) and decide on retraining."""
    if old is None:
        changes = tuple(StepChange("added", step.title, None, step.number) for step in new.steps)
        quiz_changed = bool(new.quiz)
    else:
        changes = _step_changes(old.steps, new.steps)
        quiz_changed = _quiz_words(old.quiz) != _quiz_words(new.quiz)

    material, reason = _decide(old, new, changes, quiz_changed, force_minor=force_minor)
    return RevisionDiff(
        changes=changes, quiz_changed=quiz_changed, material=material, reason=reason
    )


def _decide(
    old: Sop | None,
    new: Sop,
    changes: tuple[StepChange, ...],
    quiz_changed: bool,
    *,
    force_minor: bool,
) -> tuple[bool, str]:
    # The new revision's setting wins: an author who switches an SOP to
    # `retrain: never` means "from now on".
    if force_minor:
        return False, "published with --minor"
    if new.retrain == "never":
        return False, "retrain: never"
    if old is None:
        return True, "first revision"
    if new.retrain == "always":
        return True, "retrain: always"
    if changes or quiz_changed:
        return True, _material_reason(changes, quiz_changed)
    if _raw_content(old) != _raw_content(new):
        return False, "only wording case/punctuation changed"
    return False, "no step or quiz changes"


def _material_reason(changes: tuple[StepChange, ...], quiz_changed: bool) -> str:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for change in changes:
        by_kind[change.kind].append(change.title)
        if change.kind == "moved" and change.detail:
            by_kind["changed"].append(change.title)
    parts = [
        f"steps {kind}: {', '.join(by_kind[kind])}"
        for kind in ("added", "removed", "moved", "changed")
        if by_kind[kind]
    ]
    if quiz_changed:
        parts.append("quiz changed")
    return "; ".join(parts)


def _title_key(title: str) -> str:
    return " ".join(words(title))


def _step_changes(old: tuple[Step, ...], new: tuple[Step, ...]) -> tuple[StepChange, ...]:
    pairs = _match_steps(old, new)
    kept = _in_order(pairs)
    matched_new = {j for _, j in pairs}
    matched_old = {i for i, _ in pairs}

    present: list[tuple[int, StepChange]] = []
    for i, j in pairs:
        before, after = old[i], new[j]
        detail = _change_detail(before, after)
        if (i, j) not in kept:
            present.append(
                (j, StepChange("moved", after.title, before.number, after.number, detail))
            )
        elif detail:
            present.append(
                (j, StepChange("changed", after.title, before.number, after.number, detail))
            )
    for j, step in enumerate(new):
        if j not in matched_new:
            present.append((j, StepChange("added", step.title, None, step.number)))
    present.sort(key=lambda item: item[0])
    removed = [
        StepChange("removed", step.title, step.number, None)
        for i, step in enumerate(old)
        if i not in matched_old
    ]
    return tuple(change for _, change in present) + tuple(removed)


def _match_steps(old: tuple[Step, ...], new: tuple[Step, ...]) -> list[tuple[int, int]]:
    """Pair old and new step indexes: by normalised title, then by position between those."""
    by_title: dict[str, deque[int]] = defaultdict(deque)
    for i, step in enumerate(old):
        by_title[_title_key(step.title)].append(i)
    title_pairs: dict[int, int] = {}
    for j, step in enumerate(new):
        candidates = by_title.get(_title_key(step.title))
        if candidates:
            title_pairs[candidates.popleft()] = j

    # "By position" means within the same gap: a renamed step is paired with the
    # unmatched step that sits after the same title-matched neighbour, so an insertion
    # elsewhere cannot make an unrelated pair of steps look like a rename.
    new_to_old = {j: i for i, j in title_pairs.items()}
    old_gaps: dict[int | None, list[int]] = defaultdict(list)
    anchor: int | None = None
    for i in range(len(old)):
        if i in title_pairs:
            anchor = i
        else:
            old_gaps[anchor].append(i)
    new_gaps: dict[int | None, list[int]] = defaultdict(list)
    anchor = None
    for j in range(len(new)):
        if j in new_to_old:
            anchor = new_to_old[j]
        else:
            new_gaps[anchor].append(j)

    pairs = list(title_pairs.items())
    for gap, old_indexes in old_gaps.items():
        pairs.extend(zip(old_indexes, new_gaps.get(gap, []), strict=False))
    return sorted(pairs)


def _in_order(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Return the largest set of pairs that kept their relative order (the rest moved)."""
    # Longest increasing subsequence of new indexes taken in old order: the fewest
    # steps that must be called "moved" to explain the new order. Shifts caused by
    # insertions or removals keep the order, so they are not moves.
    tails: list[int] = []  # tails[k]: index into pairs of the best run of length k+1
    parent: list[int | None] = [None] * len(pairs)
    for p, (_, j) in enumerate(pairs):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if pairs[tails[mid]][1] < j:
                lo = mid + 1
            else:
                hi = mid
        parent[p] = tails[lo - 1] if lo else None
        if lo == len(tails):
            tails.append(p)
        else:
            tails[lo] = p
    kept: set[tuple[int, int]] = set()
    p = tails[-1] if tails else None
    while p is not None:
        kept.add(pairs[p])
        p = parent[p]
    return kept


def _change_detail(before: Step, after: Step) -> str:
    parts = []
    if words(before.title) != words(after.title):
        parts.append(f"renamed from {before.title}")
    if _step_text_words(before) != _step_text_words(after):
        parts.append("reworded")
    if words(before.role or "") != words(after.role or ""):
        parts.append("role changed")
    return "; ".join(parts)


def _step_text_words(step: Step) -> tuple[tuple[str, ...], ...]:
    # Scripts and checklist items are what people say and tick, so they count as
    # the step's words whether or not the parser also leaves them in the body.
    return (
        words(step.body),
        tuple(words(" ".join(step.scripts))),
        tuple(words(" ".join(step.checklist))),
    )


def _quiz_words(quiz: tuple[Question, ...]) -> tuple[Any, ...]:
    # The step a question points at is left out: inserting a step renumbers it
    # without changing the question, and the insertion itself is already material.
    return tuple(
        (
            words(q.text),
            tuple((words(o.text), o.correct) for o in q.options),
            words(q.explanation),
        )
        for q in quiz
    )


def _raw_content(sop: Sop) -> tuple[Any, ...]:
    steps = tuple((s.title, s.body, s.role, s.scripts, s.checklist) for s in sop.steps)
    quiz = tuple(
        (q.text, tuple((o.text, o.correct) for o in q.options), q.explanation) for q in sop.quiz
    )
    return steps, quiz


_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_BLANK_RUN = re.compile(r"\n{3,}")


def content_fingerprint(sop: Sop) -> str:
    """Return a sha256 hex digest of the parsed content, blind to layout-only edits."""
    data = _canonical(sop.to_dict())
    data.pop("path", None)
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    # Line numbers move whenever a blank line is added above, and the parser may keep
    # trailing spaces, CRLF or runs of blank lines inside bodies; none of that is content.
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if k != "line"}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("\r", "\n")
        text = _TRAILING_SPACE.sub("", text)
        return _BLANK_RUN.sub("\n\n", text).strip("\n")
    return value
