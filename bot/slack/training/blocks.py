"""Training DMs: the invitation, each quiz question in place, the result, and refusals."""

from __future__ import annotations

import re
from typing import Any

from bot.core.mrkdwn import escape, to_mrkdwn
from bot.core.quiz import Asked
from bot.services.quizzes import Answered, QuizView
from bot.services.training import Invitation, Reminder
from bot.slack.ids import Action
from bot.slack.kit.blocks import (
    actions,
    bold,
    button,
    context,
    header,
    mrkdwn,
    one_line,
    section,
)
from bot.slack.kit.limits import OPTION_TEXT, excerpt, truncate

MAX_CHANGES = 15
OUTCOME_CHARS = 600
LETTERS = "ABCDEFGHIJ"  # a question has at most ten options
_LINK = re.compile(r"<(?:https?://|mailto:)[^|>]*\|([^>]*)>")
_BARE_LINK = re.compile(r"<(?:https?://|mailto:)[^>]*>")


def link_free(markdown: str, limit: int = OUTCOME_CHARS) -> str:
    """Markdown as mrkdwn with every link reduced to its label (a DM summary, not a page)."""
    text = _BARE_LINK.sub("", _LINK.sub(r"\1", to_mrkdwn(markdown)))
    return excerpt(text, limit) if text.strip() else ""


def _plain(title: str) -> str:
    """A title for a fallback `text` (Slack reads it as mrkdwn too, so it is escaped)."""
    return truncate(escape(" ".join(title.split())), 200)


def choices_block_id(attempt_id: int, position: int) -> str:
    """The block holding a several-answers question's checkboxes (read back on Submit)."""
    return f"quiz-c-{attempt_id}-{position}"


def _title(title: str, revision: int) -> dict[str, Any]:
    return header(f"Training: {escape(title)} (v{revision})", block_id="training-title")


def invitation(invite: Invitation) -> dict[str, Any]:
    """The DM that asks someone to learn a new SOP or what changed in one."""
    if invite.first:
        intro = f"A new SOP concerns you: {bold(invite.title)}. Please get to know it."
    else:
        lines = [f"• {escape(line)}" for line in invite.changes[:MAX_CHANGES]]
        if len(invite.changes) > MAX_CHANGES:
            lines.append(f"• …and {len(invite.changes) - MAX_CHANGES} more")
        intro = f"{bold(invite.title)} changed. What is new:\n" + "\n".join(lines)
    blocks = [_title(invite.title, invite.revision), section(intro, block_id="training-intro")]
    if outcome := link_free(invite.outcome):
        blocks.append(section(f"*What it is for*\n{outcome}", block_id="training-outcome"))
    blocks += [
        context(
            f"A short quiz on what changed; pass mark {invite.pass_mark}%.",
            block_id="training-facts",
        ),
        _start_buttons(invite.assignment_id, invite.slug, "training-start"),
    ]
    text = f"Training: {_plain(invite.title)} v{invite.revision}: what changed, and a short quiz"
    return {"text": text, "blocks": blocks}


def reminder(note: Reminder) -> dict[str, Any]:
    """A nudge about pending training, with the same buttons as the invitation."""
    due = note.overdue_at.strftime("%a %-d %b")
    intro = (
        f"Reminder: your training on {bold(note.title)} (v{note.revision}) is still waiting. "
        f"It takes a few minutes; after {due} it counts as overdue."
    )
    return {
        "text": f"Reminder: training on {_plain(note.title)} v{note.revision} is waiting",
        "blocks": [
            section(intro, block_id="reminder-intro"),
            _start_buttons(note.assignment_id, note.slug, "reminder-start"),
        ],
    }


def _start_buttons(assignment_id: int, slug: str, block_id: str) -> dict[str, Any]:
    return actions(
        [
            button(
                "Start quiz",
                action_id=Action.START_QUIZ,
                value=str(assignment_id),
                style="primary",
            ),
            button("Walk through the SOP first", action_id=Action.WALK_THROUGH, value=slug),
        ],
        block_id=block_id,
    )


def quiz_message(view: QuizView) -> dict[str, Any]:
    """The quiz as it stands: feedback on the last answer, then the next question or the result."""
    blocks = [_title(view.title, view.revision)]
    if view.answered is not None:
        blocks += _feedback(view.answered)
    if view.finished:
        blocks += _result(view)
        verdict = "passed" if view.passed else "not passed yet"
        text = f"Training quiz on {_plain(view.title)}: {view.score}%, {verdict}"
    else:
        blocks += _question(view)
        text = f"Training quiz on {_plain(view.title)}: question {view.position + 1}"
    return {"text": text, "blocks": blocks}


def _feedback(answered: Answered) -> list[dict[str, Any]]:
    question = answered.question
    if answered.right:
        line = "✅ *Right.*"
    else:
        right = ", ".join(
            f"*{one_line(question.options[i], OPTION_TEXT)}*" for i in question.correct
        )
        line = f"❌ *Not quite.* The right answer: {right}"
    if question.explanation.strip():
        line += f"\n{excerpt(to_mrkdwn(question.explanation), 1500)}"
    return [
        context(f"You answered: {one_line(question.text, 200)}", block_id="quiz-last-question"),
        section(line, block_id="quiz-feedback"),
    ]


def _question(view: QuizView) -> list[dict[str, Any]]:
    asked: Asked = view.questions[view.position]
    # The attempt and question are in every block ID: an edited message never carries an
    # old question's checkbox state over to the next one.
    where = f"{view.attempt_id}-{view.position}"
    heading = f"*Question {view.position + 1} of {len(view.questions)}*\n"
    body = excerpt(to_mrkdwn(asked.text), 2500)
    if not asked.multiple:
        blocks = [section(heading + body, block_id=f"quiz-q-{where}")]
        for index, option in enumerate(asked.options):
            choose = button(
                "Choose",
                action_id=Action.QUIZ_ANSWER,
                value=f"{view.attempt_id}:{view.position}:{index}",
            )
            text = f"*{LETTERS[index]}.* {one_line(option, 2000)}"
            blocks.append(section(text, block_id=f"quiz-o-{where}-{index}", accessory=choose))
        return blocks
    labels = [f"*{LETTERS[i]}.* {one_line(o, OPTION_TEXT)}" for i, o in enumerate(asked.options)]
    listed = ""
    if any(label.endswith("…") for label in labels):
        listed = "\n" + "\n".join(
            f"*{LETTERS[i]}.* {one_line(o, 500)}" for i, o in enumerate(asked.options)
        )
    return [
        section(
            heading + body + listed + "\n_Tick every right answer, then Submit._",
            block_id=f"quiz-q-{where}",
        ),
        {
            "type": "input",
            "block_id": choices_block_id(view.attempt_id, view.position),
            "label": {"type": "plain_text", "text": "Your answer"},
            "element": {
                "type": "checkboxes",
                "action_id": str(Action.QUIZ_CHOICES),
                "options": [
                    {
                        "text": mrkdwn(truncate(label, OPTION_TEXT)),
                        "value": str(i),
                    }
                    for i, label in enumerate(labels)
                ],
            },
        },
        actions(
            [
                button(
                    "Submit",
                    action_id=Action.QUIZ_SUBMIT,
                    value=f"{view.attempt_id}:{view.position}",
                    style="primary",
                )
            ],
            block_id=f"quiz-s-{where}",
        ),
    ]


def _result(view: QuizView) -> list[dict[str, Any]]:
    right = sum(view.results)
    total = len(view.questions)
    if view.passed:
        if total == 0:
            line = "✅ Nothing to quiz you on in this revision: you are trained on it. Thank you!"
        else:
            line = (
                f"🎉 *Passed:* {right} of {total} right ({view.score}%). "
                f"You are trained on v{view.revision}. Thank you!"
            )
        return [section(line, block_id="quiz-result")]
    line = (
        f"*Not passed yet:* {right} of {total} right ({view.score}%; the pass mark is "
        f"{view.pass_mark}%)."
    )
    if view.review:
        steps = "\n".join(f"• Step {n}: {bold(title)}" for n, title in view.review)
        line += f"\nRead these steps again:\n{steps}"
    return [
        section(line, block_id="quiz-result"),
        actions(
            [
                button("Walk through the SOP", action_id=Action.WALK_THROUGH, value=view.slug),
                button(
                    "Try again",
                    action_id=Action.QUIZ_RETRY,
                    value=str(view.attempt_id),
                    style="primary",
                ),
            ],
            block_id="quiz-retry",
        ),
        context(
            f"Attempt {view.attempt_number}. Try again asks the questions in a new order.",
            block_id="quiz-attempt",
        ),
    ]


REFUSALS = {
    "missing": "That training no longer exists.",
    "superseded": (
        "This training was replaced by a newer revision of the SOP; look for the newer "
        "message from me (or type `/sop training`)."
    ),
    "withdrawn": (
        "You are no longer in this SOP's audience, so this training was withdrawn. "
        "If that is wrong, ask the SOP's owner."
    ),
    "stale": "That button is out of date: the quiz has moved on (see its latest message).",
    "empty": "Tick at least one answer, then press Submit.",
}


def refusal(view: QuizView) -> dict[str, Any]:
    """The ephemeral answer to a press that changes nothing."""
    if view.verdict == "not_yours":
        text = "This quiz was sent to someone else; your own training is under `/sop training`."
    elif view.verdict == "done":
        text = f"You already passed this training with {view.score}%. Nothing more to do."
    else:
        text = REFUSALS.get(view.verdict, "That button no longer does anything.")
    return {"text": text, "blocks": [section(text, block_id="training-refusal")]}
