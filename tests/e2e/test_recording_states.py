"""/sop record after Finish, Publish and Discard: the parent says so, stale buttons do nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import Revision, SopRecord
from bot.db.recordings import Recording
from bot.slack.ids import Action
from bot.slacksim.seed import MARIA, SAM, SUPPORT
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, visible_text
from tests.e2e.recording_helpers import (
    SLUG,
    STEPS,
    TITLE,
    finished_message,
    post_step,
    press,
    record_three,
    start,
    steps_stored,
    thread,
)


def parent_now(bot: Bot, parent: dict) -> dict:
    return bot.fake.thread(SUPPORT, parent["ts"])[0]


def parent_says(bot: Bot, parent: dict, words: str) -> dict:
    return bot.fake.wait_for(
        lambda: words in visible_text(m := parent_now(bot, parent)) and m,
        what=f"the parent saying {words!r}",
    )


def told(bot: Bot, user: str, words: str, before: int) -> str:
    """The ephemeral `user` got after the first `before` ones, which must contain `words`."""
    shown = bot.fake.wait_for(
        lambda: (e := bot.fake.ephemerals(user)) and len(e) > before and e[before:],
        what="the ephemeral",
    )
    text = visible_text(shown[0])
    assert words in text, text
    return text


def with_download(bot: Bot, parent: dict) -> dict:
    return next(m for m in thread(bot, parent) if Action.RECORD_DOWNLOAD in buttons(m))


def published_count(bot: Bot) -> tuple[int, int]:
    with bot.runtime.database.session() as session:
        records = session.scalar(
            select(func.count()).select_from(SopRecord).where(SopRecord.slug.like(f"{SLUG}%"))
        )
        revisions = session.scalar(
            select(func.count())
            .select_from(Revision)
            .join(SopRecord, Revision.sop_id == SopRecord.id)
            .where(SopRecord.slug.like(f"{SLUG}%"))
        )
    return records or 0, revisions or 0


def finish(bot: Bot) -> tuple[dict, dict, dict]:
    """Three steps recorded and finished: (parent as first drawn, parent now, finished SOP)."""
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    done = finished_message(bot, parent)
    return parent, parent_says(bot, parent, "finished by"), done


def test_after_finish_the_parent_shows_the_state_and_only_discard(bot: Bot):
    parent, now, _ = finish(bot)
    assert visible_text(now).startswith(f"📝 Recorded {TITLE}: 3 steps, finished by")
    assert "<@U01MARIA01>" in now["blocks"][0]["text"]["text"]
    assert set(buttons(now)) == {Action.RECORD_DISCARD}


def test_stale_undo_and_finish_after_finish_are_refused_and_change_nothing(bot: Bot):
    parent, _, _ = finish(bot)
    press(bot, MARIA, parent, Action.RECORD_UNDO, stale=True)
    told(bot, MARIA, "This recording is finished", 0)
    press(bot, MARIA, parent, Action.RECORD_FINISH, stale=True)
    told(bot, MARIA, "finished already", 1)
    assert steps_stored(bot) == STEPS
    assert len([m for m in thread(bot, parent) if Action.RECORD_DOWNLOAD in buttons(m)]) == 1


def test_after_publish_the_parent_says_so_and_stale_buttons_change_nothing(bot: Bot):
    parent, finished_parent, done = finish(bot)
    press(bot, SAM, parent, Action.RECORD_PUBLISH, done)
    now = parent_says(bot, parent, "Published as v1")
    assert visible_text(now).startswith(f"✅ Published as v1 of {TITLE} ({SLUG}) by")
    assert buttons(now) == {}
    shown = bot.fake.wait_for(
        lambda: Action.RECORD_PUBLISH not in buttons(m := with_download(bot, parent)) and m,
        what="the finished SOP without Publish",
    )
    assert set(buttons(shown)) == {Action.RECORD_DOWNLOAD}
    assert "Published as v1 by" in visible_text(shown)
    press(bot, SAM, parent, Action.RECORD_PUBLISH, done, stale=True)
    told(bot, SAM, f"Already published ({SLUG} v1); nothing was changed.", 0)
    press(bot, MARIA, parent, Action.RECORD_DISCARD, finished_parent, stale=True)
    told(bot, MARIA, "published already", 0)
    press(bot, MARIA, parent, Action.RECORD_UNDO, stale=True)
    told(bot, MARIA, "published already", 1)
    press(bot, MARIA, parent, Action.RECORD_FINISH, stale=True)
    told(bot, MARIA, "published already", 2)
    assert published_count(bot) == (1, 1)
    assert steps_stored(bot) == STEPS
    with bot.runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Recording)) == 1
    assert sum("Published" in m["text"] for m in thread(bot, parent)) == 1


def test_publish_and_download_after_discard_are_refused(bot: Bot):
    parent, finished_parent, done = finish(bot)
    press(bot, MARIA, parent, Action.RECORD_DISCARD, finished_parent)
    gone = parent_says(bot, parent, "discarded")
    assert buttons(gone) == {}
    press(bot, SAM, parent, Action.RECORD_PUBLISH, done, stale=True)
    told(bot, SAM, "That recording was discarded; nothing was published.", 0)
    press(bot, MARIA, parent, Action.RECORD_DOWNLOAD, done)
    told(bot, MARIA, "That recording was discarded", 0)
    press(bot, MARIA, parent, Action.RECORD_UNDO, stale=True)
    told(bot, MARIA, "That recording was discarded; nothing was changed.", 1)
    assert published_count(bot) == (0, 0)
    assert not (bot.sops_dir / f"{SLUG}.md").exists()


def test_two_publish_presses_at_once_publish_once(bot: Bot):
    parent, _, done = finish(bot)
    # Both pressed on the message as drawn before either press was handled.
    press(bot, SAM, parent, Action.RECORD_PUBLISH, done, stale=True)
    press(bot, SAM, parent, Action.RECORD_PUBLISH, done, stale=True)
    told(bot, SAM, "Already published", 0)
    bot.fake.wait_for(
        lambda: any("Published" in m["text"] for m in thread(bot, parent)), what="the answer"
    )
    assert published_count(bot) == (1, 1)
    assert sum("Published" in m["text"] for m in thread(bot, parent)) == 1
    assert len(bot.fake.ephemerals(SAM)) == 1


def test_thirty_steps_finish_in_one_message_within_block_kit_limits(bot: Bot):
    parent = start(bot)
    for n in range(1, 31):
        post_step(bot, parent, f"Check shelf {n}\nRole: Opener\n- [ ] Labels face out")
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    done = finished_message(bot, parent)
    # The fake rejects what Slack rejects (over 50 blocks, msg_blocks_too_long): it got here.
    assert len(done["blocks"]) <= 50
    shown = sum(b["block_id"].endswith("-title") for b in done["blocks"]) - 1
    assert 10 < shown < 30
    assert f"…and {30 - shown} more steps; Download Markdown to see all 30." in visible_text(done)
    assert [m for m in thread(bot, parent) if Action.RECORD_PUBLISH in buttons(m)] == [done]
    assert visible_text(parent_says(bot, parent, "finished by")).startswith(
        f"📝 Recorded {TITLE}: 30 steps"
    )
