"""Training quizzes: which questions a revision asks, generated ones, per-attempt shuffles, grading.

Everything here is pure and deterministic: an attempt is fully described by the SOP, the diff
and one integer seed, so a stored attempt can always be explained and a test can pin one down.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.diff import RevisionDiff, words
from bot.core.model import Question, Sop

MAX_GENERATED = 5
GENERATED_DISTRACTORS = 3


@dataclass(frozen=True)
class Candidate:
    """A question to ask, options in their authored order."""

    text: str
    options: tuple[str, ...]
    correct: tuple[int, ...]
    explanation: str = ""
    step: int | None = None


@dataclass(frozen=True)
class Asked:
    """A question as one attempt shows it: options shuffled, `correct` in display positions."""

    text: str
    options: tuple[str, ...]
    correct: tuple[int, ...]
    explanation: str = ""
    step: int | None = None

    @property
    def multiple(self) -> bool:
        """More than one option is correct (asked with checkboxes and a Submit button)."""
        return len(self.correct) > 1

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict, stored with the attempt."""
        return {
            "text": self.text,
            "options": list(self.options),
            "correct": list(self.correct),
            "explanation": self.explanation,
            "step": self.step,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Asked:
        """Rebuild from `to_dict` output."""
        return cls(
            text=str(data["text"]),
            options=tuple(data["options"]),
            correct=tuple(int(i) for i in data["correct"]),
            explanation=str(data.get("explanation", "")),
            step=data.get("step"),
        )


def from_question(question: Question) -> Candidate:
    """An authored quiz question as a candidate."""
    return Candidate(
        text=question.text,
        options=tuple(o.text for o in question.options),
        correct=tuple(i for i, o in enumerate(question.options) if o.correct),
        explanation=question.explanation,
        step=question.step,
    )


def select_questions(
    sop: Sop, diff: RevisionDiff | None, *, first: bool, rng: random.Random
) -> list[Candidate]:
    """The questions a revision's training asks, before shuffling.

    Authored questions tied to a changed step, or all of them when none is tied or this is
    the first revision; an SOP without a quiz gets generated step-order questions.
    """
    changed = _changed_steps(sop, diff, first=first)
    if sop.quiz:
        tied = [q for q in sop.quiz if q.step is not None and q.step in changed]
        chosen = sop.quiz if first or not tied else tuple(tied)
        return [from_question(q) for q in chosen]
    reordered = first or (diff is not None and any(c.kind == "moved" for c in diff.changes))
    if not changed:  # e.g. `retrain: always` with only a quiz or removal: ask about every step
        changed = _changed_steps(sop, None, first=True)
    return generate_questions(sop, changed, reordered=reordered, rng=rng)


def _changed_steps(sop: Sop, diff: RevisionDiff | None, *, first: bool) -> frozenset[int]:
    if first or diff is None:
        return frozenset(step.number for step in sop.steps)
    return frozenset(diff.changed_step_numbers())


def generate_questions(
    sop: Sop, changed: Collection[int], *, reordered: bool, rng: random.Random
) -> list[Candidate]:
    """Step-order questions for an SOP without a quiz: "which comes first", "what comes after"."""
    titles = [step.title for step in sop.steps]
    questions: list[Candidate] = []
    if reordered or 1 in changed:
        first = _options_question(
            "Which step comes first?",
            right=0,
            titles=titles,
            exclude=(),
            explanation=f"The SOP starts with step 1: {titles[0]}." if titles else "",
            rng=rng,
        )
        if first is not None:
            questions.append(first)
    for number in sorted(n for n in changed if 2 <= n <= len(titles)):
        if len(questions) >= MAX_GENERATED:
            break
        previous, current = titles[number - 2], titles[number - 1]
        question = _options_question(
            f"What comes after “{previous}”?",
            right=number - 1,
            titles=titles,
            exclude=(number - 2,),
            explanation=f"Step {number - 1} is {previous}; step {number} is {current}.",
            rng=rng,
        )
        if question is not None:
            questions.append(question)
    return questions[:MAX_GENERATED]


def _options_question(
    text: str,
    *,
    right: int,
    titles: Sequence[str],
    exclude: Iterable[int],
    explanation: str,
    rng: random.Random,
) -> Candidate | None:
    """A question whose answer is step `right`; None when there is nothing to choose between."""
    if right >= len(titles):
        return None
    answer = titles[right]
    skip = {right, *exclude}
    seen = {_key(answer)}
    others: list[str] = []
    for index, title in enumerate(titles):
        # Two steps with the same words would make a question with two right-looking answers.
        if index not in skip and _key(title) not in seen:
            seen.add(_key(title))
            others.append(title)
    if not others:
        return None
    distractors = rng.sample(others, min(GENERATED_DISTRACTORS, len(others)))
    return Candidate(
        text=text,
        options=(answer, *distractors),
        correct=(0,),
        explanation=explanation,
        step=right + 1,
    )


def _key(title: str) -> tuple[str, ...]:
    return words(title)


def shuffle(candidates: Sequence[Candidate], rng: random.Random) -> list[Asked]:
    """Shuffle question order and each question's options; correct indexes follow the options."""
    order = list(range(len(candidates)))
    rng.shuffle(order)
    asked = []
    for index in order:
        candidate = candidates[index]
        positions = list(range(len(candidate.options)))
        rng.shuffle(positions)
        asked.append(
            Asked(
                text=candidate.text,
                options=tuple(candidate.options[p] for p in positions),
                correct=tuple(sorted(positions.index(c) for c in candidate.correct)),
                explanation=candidate.explanation,
                step=candidate.step,
            )
        )
    return asked


def build_attempt(sop: Sop, diff: RevisionDiff | None, *, first: bool, seed: int) -> list[Asked]:
    """The questions of one attempt: selected, generated and shuffled from `seed` alone."""
    rng = random.Random(seed)
    return shuffle(select_questions(sop, diff, first=first, rng=rng), rng)


def grade(question: Asked, chosen: Iterable[int]) -> bool:
    """Right only when exactly the correct options were chosen."""
    return set(chosen) == set(question.correct)


def score(correct: int, total: int) -> int:
    """Percent right, rounded down so 79.9 % never passes an 80 % mark; no questions is 100."""
    return 100 if total == 0 else 100 * correct // total


def passed(percent: int, pass_mark: int) -> bool:
    """Whether a score reaches the SOP's pass mark."""
    return percent >= pass_mark


def steps_to_review(questions: Sequence[Asked], results: Sequence[bool]) -> tuple[int, ...]:
    """Step numbers of the questions answered wrongly, in order, each once."""
    return tuple(
        sorted({q.step for q, ok in zip(questions, results, strict=False) if not ok and q.step})
    )
