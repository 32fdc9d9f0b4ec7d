"""Helpers for the training end-to-end tests: deliver the outbox, read and answer quiz DMs."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.model import Question, Sop
from bot.core.mrkdwn import escape
from bot.db.models import Revision, SopRecord
from bot.jobs.training import assign_training
from bot.services.publish import publish_directory
from bot.services.training import AssignResult
from bot.slack.ids import Action
from bot.slacksim import payloads
from bot.slacksim.driver import DriverResponse
from bot.slacksim.seed import JO, MARIA, PRIYA, SAM
from tests.e2e.conftest import Bot
from tests.e2e.conversation import visible_text

REFUND = "support/refund-request.md"
# #support (MARIA, SAM, PRIYA, JO, the bot) ∪ @support-team (MARIA, PRIYA, JO) ∪ jo@example.com
REFUND_AUDIENCE = (MARIA, SAM, PRIYA, JO)


def key_of(message: dict) -> str:
    return ((message.get("metadata") or {}).get("event_payload") or {}).get("key", "")


def assign(bot: Bot) -> dict[str, AssignResult]:
    """The audience pass, as the scheduler runs it."""
    return {result.slug: result for result in assign_training(bot.job_context)}


def refund_only(bot: Bot) -> None:
    """Retire every sample SOP but the refund one, so counts are about one SOP."""
    for path in bot.sops_dir.rglob("*.md"):
        if not path.as_posix().endswith(REFUND):
            path.unlink()
    bot.publish()


def name_nobody_in_the_refund_audience(bot: Bot) -> None:
    """Put an ID no Slack user has into the refund SOP's audience (the samples name real people)."""
    path = bot.sops_dir / REFUND
    path.write_text(path.read_text().replace('"U01MARIA01"', '"U0G9QF9C6"', 1))


def edit_refund(bot: Bot, old: str, new: str, *, minor: bool = False) -> None:
    path = bot.sops_dir / REFUND
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with bot.runtime.database.session() as session:
        report = publish_directory(
            session,
            directory=bot.sops_dir,
            now=bot.clock(),
            minor=minor,
            renderers=bot.job_context.renderers.feedback,
        )
    assert report.errors == [] and report.new_revisions


def refund_revision_ids(bot: Bot) -> list[int]:
    with bot.runtime.database.session() as session:
        return list(
            session.scalars(
                select(Revision.id)
                .join(SopRecord, SopRecord.id == Revision.sop_id)
                .where(SopRecord.slug == "refund-request")
                .order_by(Revision.number)
            )
        )


def refund_sop(bot: Bot) -> Sop:
    with bot.runtime.database.session() as session:
        record = bot.runtime.live_sop(session, "refund-request")
        return Sop.from_dict(record.current_revision.content)


def dms_keyed(bot: Bot, user: str, prefix: str) -> list[dict]:
    return [m for m in bot.fake.dms(user) if key_of(m).startswith(prefix)]


def message(bot: Bot, user: str, ts: str) -> dict:
    return next(m for m in bot.fake.dms(user) if m["ts"] == ts)


def invitation(bot: Bot, user: str, revision_id: int) -> dict:
    (found,) = dms_keyed(bot, user, f"training:{revision_id}:{user}")
    return found


def wait_changed(bot: Bot, user: str, ts: str, before: str) -> dict:
    """Wait until the DM message `ts` reads differently from `before`; return it."""
    return bot.fake.wait_for(
        lambda: (m := message(bot, user, ts)) and visible_text(m) != before and m,
        what="the quiz message to change",
    )


def start_quiz(bot: Bot, user: str, ts: str) -> dict:
    before = visible_text(message(bot, user, ts))
    assert bot.slack.click(user, message(bot, user, ts), Action.START_QUIZ).status == 200
    return wait_changed(bot, user, ts, before)


def asked_question(sop: Sop, shown: dict) -> Question:
    block = next(b for b in shown["blocks"] if b["block_id"].startswith("quiz-q-"))
    return next(q for q in sop.quiz if escape(q.text)[:30] in block["text"]["text"])


def _pick(question: Question, right: bool) -> set[str]:
    correct = {o.text for o in question.options if o.correct}
    if right:
        return correct
    if len(correct) > 1:
        return {sorted(correct)[0]}  # half right is wrong
    return {next(o.text for o in question.options if not o.correct)}


def answer(bot: Bot, user: str, ts: str, sop: Sop, *, right: bool) -> tuple[dict, DriverResponse]:
    """Answer the question the DM shows, rightly or wrongly; return the updated message."""
    shown = message(bot, user, ts)
    wanted = _pick(asked_question(sop, shown), right)
    before = visible_text(shown)
    boxes = next((b for b in shown["blocks"] if b["type"] == "input"), None)
    if boxes is not None:
        values = [
            o["value"]
            for o in boxes["element"]["options"]
            if any(o["text"]["text"].endswith(escape(w)) for w in wanted)
        ]
        assert len(values) == len(wanted)
        response = bot.slack.click(
            user, shown, Action.QUIZ_SUBMIT, values={boxes["block_id"]: values}
        )
    else:
        (chosen,) = [
            b["accessory"]["value"]
            for b in shown["blocks"]
            if b.get("accessory", {}).get("action_id") == Action.QUIZ_ANSWER
            and any(b["text"]["text"].endswith(escape(w)) for w in wanted)
        ]
        response = bot.slack.click(user, shown, Action.QUIZ_ANSWER, value=chosen)
    assert response.status == 200
    return wait_changed(bot, user, ts, before), response


def forged_click(bot: Bot, user: str, ts: str, action_id: str, value: str | None = None):
    """A click by `user` on a message they cannot see (a crafted request: Slack never shows
    someone else's DM, so the driver's own click refuses to build it)."""
    ws = bot.fake.ws
    target = ws.find_message(ts)
    found = payloads.locate(target.blocks, action_id, value=value, types={"button"})
    act = payloads.action(found, action_ts=ws.next_ts())
    return bot.slack._interaction(bot.slack._block_actions(user, target, act, None))


def press_any_answer(bot: Bot, user: str, shown: dict) -> DriverResponse:
    """Press the first answer on the shown question (Submit, for a checkboxes question)."""
    if any(b["type"] == "input" for b in shown["blocks"]):
        return bot.slack.click(user, shown, Action.QUIZ_SUBMIT)
    first = next(
        b["accessory"]["value"]
        for b in shown["blocks"]
        if b.get("accessory", {}).get("action_id") == Action.QUIZ_ANSWER
    )
    return bot.slack.click(user, shown, Action.QUIZ_ANSWER, value=first)
