"""Editing a step from Slack: who may, the exact file change, the revision, conflicts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.cli import main
from bot.core.edit import StepDraft
from bot.services import authoring
from bot.services.authoring import Change, Saved
from bot.slack.authoring.editor import StepEditor
from bot.slack.ids import Action
from bot.slacksim.seed import ANA, MARIA, SAM
from bot.wiring import publish_on_start
from tests.e2e.authoring_helpers import (
    REFUND,
    changed_lines,
    input_value,
    refund_file,
    revisions,
    sop_edit,
)
from tests.e2e.conftest import Bot
from tests.e2e.conversation import sent_json, visible_text
from tests.e2e.feedback_helpers import with_managers


def test_staff_are_refused_and_told_who_can(bot: Bot):
    before = refund_file(bot).read_bytes()
    assert sop_edit(bot, MARIA, "refund 3") is None
    [refusal] = bot.fake.ephemerals(MARIA)
    assert "Only its owner" in visible_text(refusal) and "Nothing was changed" in visible_text(
        refusal
    )
    assert refund_file(bot).read_bytes() == before and len(revisions(bot)) == 1


def test_an_edit_changes_only_that_steps_lines_and_publishes_a_revision(bot: Bot):
    path = refund_file(bot)
    before = path.read_text(encoding="utf-8")
    view = sop_edit(bot, SAM, "refund 3")
    assert view is not None and view["title"]["text"] == "Edit step 3"
    assert "Edit step 3 of Handle a refund request" in visible_text(view)
    body = input_value(view, "edit-body")
    assert body is not None and body.startswith("You can approve on your own")
    assert "- [ ] Team lead mentioned if any of the three conditions fails" in body
    new_body = body.replace("$200 or less", "$250 or less")
    answer = bot.slack.submit_view(
        SAM, view, {"edit-body": new_body, "edit-note": "limit raised to $250"}
    )
    assert answer.status == 200
    after = path.read_text(encoding="utf-8")
    assert changed_lines(before, after) == [
        "-$200 or less, the order is within 30 days, and the account has fewer than",
        "+$250 or less, the order is within 30 days, and the account has fewer than",
    ]
    latest = revisions(bot)[-1]
    assert latest.number == 2 and latest.editor == SAM and latest.note == "limit raised to $250"
    assert latest.material and latest.source == after
    shown = bot.fake.wait_for(
        lambda: (v := bot.fake.open_view(SAM)) and v["title"]["text"] == "Published" and v,
        what="the diff",
    )
    assert "v2" in visible_text(shown) and "+ $250 or less" in visible_text(shown)


def test_unticking_retrain_publishes_a_minor_revision(bot: Bot):
    view = sop_edit(bot, SAM, "refund 2")
    assert view is not None
    bot.slack.submit_view(
        SAM, view, {"edit-title": "Verify the order and the account", "edit-material": []}
    )
    latest = revisions(bot)[-1]
    assert latest.number == 2 and not latest.material
    assert "### 2. Verify the order and the account\n" in refund_file(bot).read_text()


def test_a_check_error_is_shown_under_its_field_and_nothing_changes(bot: Bot):
    before = refund_file(bot).read_bytes()
    view = sop_edit(bot, SAM, "refund 1")
    assert view is not None
    answer = bot.slack.submit_view(SAM, view, {"edit-body": "## Not a step\nsneaky"})
    assert answer.body["response_action"] == "errors" and "edit-body" in answer.body["errors"]
    answer = bot.slack.submit_view(SAM, view, {"edit-title": "   ", "edit-body": "ok"})
    assert "edit-title" in answer.body["errors"]
    assert refund_file(bot).read_bytes() == before and len(revisions(bot)) == 1


def test_a_save_after_the_sop_changed_is_refused_and_keeps_the_typed_text(bot: Bot):
    with_managers(bot, admins=frozenset({ANA}))
    mine = sop_edit(bot, SAM, "refund 3")
    theirs = sop_edit(bot, ANA, "refund 4")
    assert mine is not None and theirs is not None
    bot.slack.submit_view(ANA, theirs, {"edit-note": "tidy", "edit-body": "Escalate quickly."})
    before = refund_file(bot).read_bytes()
    # Sam's modal, opened on v1, is submitted after Ana published v2: refused, text kept.
    answer = bot.slack.submit_view(SAM, mine, {"edit-body": "My careful words."})
    view = answer.body["view"]
    assert answer.body["response_action"] == "update"
    assert f"This SOP changed since you opened it: now v2, edited by <@{ANA}>" in sent_json(view)
    assert input_value(view, "edit-body") == "My careful words."
    assert refund_file(bot).read_bytes() == before and len(revisions(bot)) == 2
    # Saving again, knowingly, publishes over v2.
    bot.fake.wait_for(lambda: bot.fake.open_view(SAM)["id"] == mine["id"], what="the update")
    bot.slack.submit_view(SAM, bot.fake.open_view(SAM))
    assert revisions(bot)[-1].number == 3 and "My careful words." in refund_file(bot).read_text()


def test_two_saves_of_the_same_step_at_once_one_wins(bot: Bot):
    editor = StepEditor(bot.context)
    with bot.runtime.database.session() as session:
        record = bot.runtime.live_sop(session, REFUND)
        opened = authoring.open_step(session, directory=bot.sops_dir, record=record, step=3)
        record_id = record.id

    def save(words: str):
        draft = StepDraft(opened.draft.title, opened.draft.role, words)
        change = Change(kind="edit", step=3, draft=draft, material=True, editor=SAM)
        return editor.save_change(record_id=record_id, change=change, base=opened.base)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(save, ["First words.", "Second words."]))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Saved"]
    [winner] = [r for r in results if isinstance(r, Saved)]
    assert len(revisions(bot)) == 2 and revisions(bot)[-1].source == refund_file(bot).read_text()
    assert winner.outcome.new_number == 2


def test_remove_and_add_a_step(bot: Bot):
    before = refund_file(bot).read_text()
    view = sop_edit(bot, SAM, "refund 5")
    assert view is not None
    bot.slack.click(SAM, view, Action.EDIT_REMOVE)
    # The file is replaced after the revision commits: wait for both, not only the revision.
    bot.fake.wait_for(
        lambda: (
            len(revisions(bot)) == 2 and revisions(bot)[-1].source == refund_file(bot).read_text()
        ),
        what="the removal, in the database and the file",
    )
    removed = refund_file(bot).read_text()
    # Only the quiz changes beside the step: its question on step 5 loses the tie, step 6's
    # question now points at step 5.
    assert [line for line in changed_lines(before, removed) if line.startswith("+")] == [
        "+3. The customer asks you to refund to a new card because the old one was cancelled. "
        "What do you do?",
        "+5. What must your confirmation message include? (step 5)",
    ]
    assert "### 5. Issue the refund" not in removed
    view = sop_edit(bot, SAM, "refund 4")
    assert view is not None
    bot.slack.click(SAM, view, Action.EDIT_ADD_AFTER)
    added_form = bot.fake.wait_for(
        lambda: (v := bot.fake.open_view(SAM)) and v["title"]["text"] == "Add a step" and v,
        what="the add form",
    )
    bot.slack.submit_view(
        SAM,
        added_form,
        {"edit-title": "Issue the refund", "edit-role": "Agent", "edit-body": "Refund it."},
    )
    added = refund_file(bot).read_text()
    assert sorted(changed_lines(removed, added)) == [
        "+",
        "+### Issue the refund",
        "+5. What must your confirmation message include? (step 6)",
        "+Refund it.",
        "+Role: Agent",
        "-5. What must your confirmation message include? (step 5)",
    ]
    assert "Refund it.\n\n### 5. Confirm the customer" in added or "Refund it.\n\n### " in added
    assert revisions(bot)[-1].number == 3


def test_an_edit_interrupted_before_its_file_was_replaced_is_finished_at_start_up(bot: Bot):
    with bot.runtime.database.session() as session:
        record = bot.runtime.live_sop(session, REFUND)
        opened = authoring.open_step(session, directory=bot.sops_dir, record=record, step=2)
        draft = StepDraft(opened.draft.title, opened.draft.role, "Check the order.")
        change = Change(kind="edit", step=2, draft=draft, material=True, editor=SAM)
        saved = authoring.save(
            session,
            directory=bot.sops_dir,
            record_id=record.id,
            change=change,
            base=opened.base,
            now=bot.clock(),
            renderers=bot.job_context.renderers.feedback,
        )
    # The revision committed; the process "died" before the rename.
    assert isinstance(saved, Saved) and saved.pending.temp.exists()
    assert "Check the order." not in refund_file(bot).read_text()
    publish_on_start(bot.runtime, renderers=bot.job_context.renderers.feedback)
    assert refund_file(bot).read_text() == revisions(bot)[-1].source
    assert [r.number for r in revisions(bot)] == [1, 2] and not saved.pending.temp.exists()


def test_a_hand_edit_of_the_file_is_never_overwritten_by_recovery(bot: Bot):
    view = sop_edit(bot, SAM, "refund 2")
    assert view is not None
    bot.slack.submit_view(SAM, view, {"edit-body": "Check the order."})
    path = refund_file(bot)
    path.write_text(path.read_text().replace("Check the order.", "Check it by hand."))
    publish_on_start(bot.runtime, renderers=bot.job_context.renderers.feedback)
    assert "Check it by hand." in path.read_text() and revisions(bot)[-1].number == 3


def test_the_editor_and_note_show_in_sops_show_and_on_home(bot: Bot, monkeypatch, capsys):
    view = sop_edit(bot, SAM, "refund 2")
    assert view is not None
    bot.slack.submit_view(SAM, view, {"edit-body": "Check the order.", "edit-note": "shorter"})
    monkeypatch.setenv("DATABASE_URL", bot.runtime.settings.database_url)
    monkeypatch.setenv("SOPS_DIR", str(bot.sops_dir))
    assert main(["sops", "show", REFUND, "--revision", "2"]) == 0
    shown = capsys.readouterr().out
    assert "Check the order." in shown and f"Edited in Slack by {SAM}: shorter" in shown
    assert main(["sops", "show", REFUND, "--revision", "1"]) == 0
    assert "Edited in Slack" not in capsys.readouterr().out
    bot.slack.app_home_opened(SAM)
    home = bot.fake.wait_for(lambda: bot.fake.home(SAM), what="the Home tab")
    assert "Recent edits from Slack" in visible_text(home)
    assert f"Handle a refund request* v2 · edited by <@{SAM}>" in sent_json(home)


def test_a_step_longer_than_the_editor_holds_is_refused_not_cut(bot: Bot):
    path = refund_file(bot)
    long_words = " ".join(["word"] * 700)
    path.write_text(
        path.read_text().replace(
            "Role: Agent\nReply within", f"Role: Agent\n{long_words}\nReply within", 1
        )
    )
    bot.publish()
    assert sop_edit(bot, SAM, "refund 1") is None
    answer = bot.fake.ephemerals(SAM)[-1]
    assert "more than the editor holds" in visible_text(
        answer
    ) and "edit it in the file" in visible_text(answer)


def test_a_folder_sopbot_cannot_write_refuses_the_edit_with_nothing_changed(bot: Bot, monkeypatch):
    view = sop_edit(bot, SAM, "refund 2")
    assert view is not None
    write_bytes = Path.write_bytes

    def read_only(path: Path, data: bytes) -> int:
        if path.name.endswith(".tmp"):
            raise PermissionError(13, "Permission denied", str(path))
        return write_bytes(path, data)

    monkeypatch.setattr(Path, "write_bytes", read_only)  # as a `:ro` mount answers
    before = refund_file(bot).read_bytes()
    answer = bot.slack.submit_view(SAM, view, {"edit-body": "Check the order."})
    assert "cannot write to SOPS_DIR (Permission denied)" in answer.body["errors"]["edit-body"]
    assert len(revisions(bot)) == 1 and refund_file(bot).read_bytes() == before
