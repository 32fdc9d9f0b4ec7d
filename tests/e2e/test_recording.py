"""/sop record: a new SOP recorded in a thread, step by step, then finished and published."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.db.models import ProcessedEvent, Revision, SopRecord
from bot.db.recordings import Recording, RecordingStep
from bot.services import recording
from bot.services.publish import publish_directory
from bot.slack.ids import Action
from bot.slacksim.seed import MARIA, PRIYA, RANDOM, SAM, SUPPORT
from bot.wiring import publish_on_start
from tests.e2e.conftest import Bot
from tests.e2e.conversation import buttons, deliver, visible_text
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


def test_steps_are_recorded_with_the_time_between_them(bot: Bot):
    parent = start(bot)
    assert (
        "Recording *Open the shop*: post each step in this thread"
        in parent["blocks"][0]["text"]["text"]
    )
    answers = []
    for minutes, text in zip((6, 2, 1), STEPS, strict=True):
        bot.clock.advance(minutes=minutes)
        answers.append(post_step(bot, parent, text)["text"])
    assert answers == [
        "Step 1 recorded (6 min after you started)",
        "Step 2 recorded (2 min after step 1)",
        "Step 3 recorded (1 min after step 2)",
    ]
    assert steps_stored(bot) == STEPS


def test_undo_removes_the_last_step(bot: Bot):
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_UNDO)
    bot.fake.wait_for(
        lambda: "Step 3 removed" in thread(bot, parent)[-1]["text"], what="the undo answer"
    )
    assert steps_stored(bot) == STEPS[:2]
    bot.clock.advance(minutes=4)
    assert post_step(bot, parent, "Sweep the floor")["text"] == (
        "Step 3 recorded (5 min after step 2)"  # since step 2, not the undone one
    )


def test_other_people_are_ignored_and_told_once(bot: Bot):
    parent = start(bot)
    for _ in range(2):
        bot.slack.user_message(PRIYA, SUPPORT, "Shall I help?", thread_ts=parent["ts"])
    told = bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="the ephemeral")
    post_step(bot, parent, "Unlock the door")  # handled after Priya's, in order
    assert len(bot.fake.ephemerals(PRIYA)) == 1
    assert "yours was not recorded" in visible_text(told[0])
    assert steps_stored(bot) == ["Unlock the door"]


def test_messages_outside_a_recording_thread_are_dropped_unstored(bot: Bot):
    parent = start(bot)
    other = bot.slack.post_as_user(MARIA, SUPPORT, "lunch?")
    responses = [
        bot.slack.event(other),  # not in a thread
        bot.slack.user_message(MARIA, SUPPORT, "in another thread", thread_ts=other["ts"]),
        bot.slack.user_message(MARIA, MARIA, "a DM to sopbot"),
    ]
    assert [r.status for r in responses] == [200, 200, 200]
    step = bot.slack.user_message(MARIA, SUPPORT, "Unlock the door", thread_ts=parent["ts"])
    bot.fake.wait_for(lambda: len(thread(bot, parent)) == 2, what="the step's answer")
    assert steps_stored(bot) == ["Unlock the door"]
    with bot.runtime.database.session() as session:
        claimed = set(session.scalars(select(ProcessedEvent.event_id)))
    # Dropped before the event claim: not even their event IDs were written (the step's was).
    assert step.event_id in claimed
    assert not claimed & {r.event_id for r in responses}


def test_a_redelivered_message_is_one_step(bot: Bot):
    parent = start(bot)
    message = bot.slack.post_as_user(MARIA, SUPPORT, "Unlock the door", thread_ts=parent["ts"])
    for _ in range(3):  # new event IDs each time, as from another Slack delivery path
        assert bot.slack.event(message).status == 200
    bot.fake.wait_for(lambda: len(thread(bot, parent)) >= 2, what="the answer")
    post_step(bot, parent, "Count the till")
    assert steps_stored(bot) == ["Unlock the door", "Count the till"]
    answers = [m["text"] for m in thread(bot, parent) if m["text"].startswith("Step")]
    assert answers == [
        "Step 1 recorded (0 s after you started)",
        "Step 2 recorded (0 s after step 1)",
    ]


def test_finish_renders_a_file_that_passes_sops_check(bot: Bot, tmp_path: Path, monkeypatch):
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    shown = visible_text(finished_message(bot, parent))
    assert "Step 1 of 3 · Unlock the door" in shown
    assert "Role: Opener · Time: 6 min" in shown
    assert "Say:" in shown and "Good morning!" in shown
    assert "Float is £100" in shown
    press(bot, MARIA, parent, Action.RECORD_DOWNLOAD, finished_message(bot, parent))
    upload = bot.fake.wait_for(
        lambda: next((m for m in thread(bot, parent) if m.get("files")), None), what="the upload"
    )
    [file] = upload["files"]
    assert file["name"] == f"{SLUG}.md"
    text = bot.fake.ws.files[file["id"]].content.decode()
    assert "owner: U01MARIA01" in text and "Time: 6m" in text and "Time: 2m" in text
    folder = tmp_path / "check"
    folder.mkdir()
    (folder / file["name"]).write_text(text)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "SOPBOT_")) or name == "SOPS_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", bot.runtime.settings.database_url)
    assert main(["sops", "check", str(folder)]) == 0
    assert not (bot.sops_dir / f"{SLUG}.md").exists()  # nothing published yet


def test_staff_cannot_publish_and_a_manager_publishes_v1(bot: Bot):
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    done = finished_message(bot, parent)
    press(bot, MARIA, parent, Action.RECORD_PUBLISH, done)
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(MARIA), what="the refusal")
    assert "can publish a new SOP" in visible_text(refusal[-1])
    assert not (bot.sops_dir / f"{SLUG}.md").exists()
    press(bot, SAM, parent, Action.RECORD_PUBLISH, done)
    published = bot.fake.wait_for(
        lambda: next((m for m in thread(bot, parent) if "Published" in m["text"]), None),
        what="the published answer",
    )
    assert f"as `{SLUG}` v1" in published["blocks"][0]["text"]["text"]
    written = (bot.sops_dir / f"{SLUG}.md").read_text()
    with bot.runtime.database.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == SLUG)).one()
        revision = session.scalars(select(Revision).where(Revision.sop_id == record.id)).one()
        assert (revision.number, revision.editor, revision.source) == (1, SAM, written)
        assert [s["expected_seconds"] for s in revision.content["steps"]] == [360, 120, 60]
    # Round trip: publishing SOPS_DIR as `sopbot sops publish` does finds it unchanged.
    with bot.runtime.database.session() as session:
        report = publish_directory(
            session,
            directory=bot.sops_dir,
            now=bot.clock(),
            renderers=bot.job_context.renderers.feedback,
        )
    assert report.errors == []
    assert [(o.status, o.old_number) for o in report.outcomes if o.slug == SLUG] == [
        ("unchanged", 1)
    ]
    press(bot, SAM, parent, Action.RECORD_PUBLISH, done, stale=True)  # twice: refused
    bot.fake.wait_for(
        lambda: any("Already published" in visible_text(e) for e in bot.fake.ephemerals(SAM)),
        what="the second refusal",
    )


def test_an_id_taken_since_finish_publishes_nothing_and_shows_a_free_one(bot: Bot):
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    done = finished_message(bot, parent)
    (bot.sops_dir / f"{SLUG}.md").write_text("someone else's\n")
    press(bot, SAM, parent, Action.RECORD_PUBLISH, done)
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(SAM), what="the refusal")
    assert "appeared since Finish, so nothing was published" in visible_text(refusal[-1])
    assert f"now has the id {SLUG}-2" in visible_text(refusal[-1])
    assert (bot.sops_dir / f"{SLUG}.md").read_text() == "someone else's\n"
    # The message with Publish now shows the new id; pressing it again publishes under it.
    shown = bot.fake.wait_for(
        lambda: f"id {SLUG}-2 " in visible_text(m := finished_message(bot, parent)) and m,
        what="the new id where Publish is",
    )
    press(bot, SAM, parent, Action.RECORD_PUBLISH, shown)
    bot.fake.wait_for(lambda: (bot.sops_dir / f"{SLUG}-2.md").exists(), what="the new file")


def test_discard_deletes_the_recording(bot: Bot):
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_DISCARD)
    gone = bot.fake.wait_for(
        lambda: (p := bot.fake.thread(SUPPORT, parent["ts"])[0]) and "discarded" in p["text"] and p,
        what="the parent saying so",
    )
    assert buttons(gone) == {}
    with bot.runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Recording)) == 0
        assert session.scalar(select(func.count()).select_from(RecordingStep)) == 0
    before = len(thread(bot, parent))
    bot.slack.user_message(MARIA, SUPPORT, "too late", thread_ts=parent["ts"])
    assert len(thread(bot, parent)) == before + 1 and steps_stored(bot) == []


def test_only_the_recorder_may_undo(bot: Bot):
    parent = record_three(bot)
    press(bot, PRIYA, parent, Action.RECORD_UNDO)
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), what="the refusal")
    assert "Only the person recording can do that." in visible_text(refusal[-1])
    assert steps_stored(bot) == STEPS


def test_without_history_scopes_record_says_what_to_add(bot: Bot):
    bot.fake.scopes = ("commands", "chat:write", "im:history")
    ack = bot.slack.command(MARIA, "/sop", f"record {TITLE}", channel=SUPPORT)
    assert ack.status == 200
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(MARIA), what="the answer")[-1]
    text = visible_text(answer)
    assert (
        "channels:history" in text
        and "groups:history" in text
        and "im:history" not in (text.split("missing")[1].split(".")[0])
    )
    assert "message.channels" in text
    assert bot.fake.messages(SUPPORT) == []


def test_record_without_a_title_gives_the_usage(bot: Bot):
    bot.slack.command(MARIA, "/sop", "record", channel=SUPPORT)
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(MARIA), what="the answer")[-1]
    assert "/sop record Open the shop" in visible_text(answer)


GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@x",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@x",
    "PATH": "/usr/bin:/bin",
}


def git(cwd: Path, *args: str) -> str:
    env = {**GIT_ENV, "HOME": str(cwd)}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def repo(bot: Bot) -> Path:
    git(bot.sops_dir, "init", "-q", "-b", "main")
    git(bot.sops_dir, "add", ".")
    git(bot.sops_dir, "commit", "-q", "-m", "samples")
    return bot.sops_dir


def test_publishing_commits_the_file_by_the_recorder(bot: Bot, repo: Path):
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    press(bot, SAM, parent, Action.RECORD_PUBLISH, finished_message(bot, parent))
    log = bot.fake.wait_for(
        lambda: "sop(" in (out := git(repo, "log", "-1", "--format=%an <%ae>|%cn|%s")) and out,
        what="the commit",
    )
    assert log.strip() == (
        f"Maria <maria@example.com>|sopbot|sop({SLUG}): record new SOP — {TITLE}"
    )
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == [f"{SLUG}.md"]
    assert git(repo, "status", "--porcelain") == ""


def finished_recording(bot: Bot) -> int:
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    finished_message(bot, parent)
    with bot.runtime.database.session() as session:
        return session.scalars(select(Recording.id)).one()


def test_a_publish_interrupted_before_its_file_was_written_is_finished_at_start_up(bot: Bot):
    recording_id = finished_recording(bot)
    with bot.runtime.database.session() as session:
        done = recording.publish(
            session,
            recording_id=recording_id,
            publisher=SAM,
            directory=bot.sops_dir,
            now=bot.clock(),
        )
    # v1 committed; the process "died" before its file went in place.
    path = bot.sops_dir / f"{SLUG}.md"
    assert done.pending.temp.exists() and not path.exists()
    publish_on_start(bot.runtime, renderers=bot.job_context.renderers.feedback)
    with bot.runtime.database.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == SLUG)).one()
        assert record.retired_at is None and record.current_revision.number == 1
        assert path.read_text() == record.current_revision.source


def test_a_recorded_sop_whose_file_was_removed_later_is_retired_not_rewritten(bot: Bot):
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    press(bot, SAM, parent, Action.RECORD_PUBLISH, finished_message(bot, parent))
    path = bot.sops_dir / f"{SLUG}.md"
    bot.fake.wait_for(lambda: path.exists(), what="the file")
    bot.fake.wait_for(
        lambda: any("Published" in m["text"] for m in thread(bot, parent)), what="the answer"
    )
    path.unlink()
    publish_on_start(bot.runtime, renderers=bot.job_context.renderers.feedback)
    assert not path.exists()
    with bot.runtime.database.session() as session:
        record = session.scalars(select(SopRecord).where(SopRecord.slug == SLUG)).one()
        assert record.retired_at is not None


def test_recording_in_the_dm_with_sopbot(bot: Bot):
    bot.slack.command(MARIA, "/sop", "record Book a room")
    parent = bot.fake.wait_for(
        lambda: next(
            (m for m in bot.fake.dms(MARIA) if buttons(m).get(Action.RECORD_FINISH, "0") != "0"),
            None,
        ),
        what="the recording in the DM",
    )
    bot.clock.advance(minutes=2)
    bot.slack.user_message(MARIA, MARIA, "Pick the room", thread_ts=parent["ts"])
    answer = bot.fake.wait_for(
        lambda: (
            (r := bot.fake.dms(MARIA, include_replies=True)) and "recorded" in r[-1]["text"] and r
        ),
        what="the answer",
    )
    assert answer[-1]["text"] == "Step 1 recorded (2 min after you started)"
    assert answer[-1]["thread_ts"] == parent["ts"]


def test_where_sopbot_cannot_post_it_says_so(bot: Bot):
    bot.slack.command(MARIA, "/sop", "record Open the shop", channel=RANDOM)
    answer = bot.fake.wait_for(lambda: bot.fake.ephemerals(MARIA), what="the answer")[-1]
    assert "Invite me to the channel" in visible_text(answer)
    with bot.runtime.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Recording)) == 0


def test_with_sops_git_push_the_commit_reaches_the_remote(bot: Bot, repo: Path, tmp_path: Path):
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "-u", "origin", "main")
    bot.runtime.settings = replace(bot.runtime.settings, sops_git_push=True)
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    press(bot, SAM, parent, Action.RECORD_PUBLISH, finished_message(bot, parent))
    log = bot.fake.wait_for(
        lambda: "sop(" in (out := git(bare, "log", "-1", "--format=%an|%s", "main")) and out,
        what="the pushed commit",
    )
    assert log.strip() == f"Maria|sop({SLUG}): record new SOP — {TITLE}"


def test_when_git_fails_the_sop_stays_published_and_the_thread_and_admins_hear_why(
    bot: Bot, repo: Path
):
    bot.runtime.settings = replace(bot.runtime.settings, admins=frozenset({PRIYA}))
    (repo / ".git" / "index.lock").write_text("")  # another git at work: commits fail
    parent = record_three(bot)
    press(bot, MARIA, parent, Action.RECORD_FINISH)
    press(bot, SAM, parent, Action.RECORD_PUBLISH, finished_message(bot, parent))
    published = bot.fake.wait_for(
        lambda: next((m for m in thread(bot, parent) if "Published" in m["text"]), None),
        what="the published answer",
    )
    assert "git did not take it: commit failed" in visible_text(published)
    assert (bot.sops_dir / f"{SLUG}.md").exists()
    assert "sop(" not in git(repo, "log", "-1", "--format=%s")
    # As for edits: the admins and whoever pressed Publish get a DM (through the outbox).
    assert deliver(bot) >= 2
    for person in (PRIYA, SAM):
        [dm] = [m for m in bot.fake.dms(person) if "git did not take it" in visible_text(m)]
        assert f"v1 of {TITLE} is published" in visible_text(dm)
    assert not [m for m in bot.fake.dms(MARIA) if "git did not take it" in visible_text(m)]
