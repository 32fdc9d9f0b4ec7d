"""The playground in a real headless Chromium: what a manager demos to the team, stage by stage.

Screenshots of every stage go to artifacts/screenshots/ (kept out of git) as test artifacts.
"""

# Fixtures are imported by name (tests/e2e/conftest.py belongs to other tests); pytest then
# passes them in as parameters of the same name, which F811 would flag on every test.
# ruff: noqa: F811

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.playground.wiring import Playground
from tests.conftest import ROOT
from tests.e2e import browser
from tests.e2e.playground_fixtures import play  # noqa: F401 - fixtures are used by name

SHOTS = ROOT / "artifacts" / "screenshots"
pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=str(browser.missing()))


@pytest.fixture
def tab(play: Playground, tmp_path: Path) -> Iterator[browser.Page]:
    """A fresh Chromium profile on the playground's page."""
    page = browser.Page(tmp_path / "chrome-profile")
    try:
        page.open(play.url)
        yield page
        assert page.errors() == [] or all("favicon" in e for e in page.errors())
    finally:
        page.close()


def start_refund_run(tab: browser.Page) -> None:
    tab.type("#text", "/sop refund")
    tab.one("#main .m-replies", what="the run's reply count").click()
    tab.wait_text("#thread", "Step 1 of 7")


def open_run_thread(tab: browser.Page, person: str) -> None:
    """Play `person`, open #support and the run's thread (the newest one there)."""
    tab.choose("#user", person)
    tab.open_view("support")
    # Clicked inside the wait: a redraw of #main between finding and clicking makes it stale.
    tab.wait(
        lambda: (replies := tab.css("#main .m-replies")) and (replies[-1].click() or True),
        what="the run in #support",
    )
    tab.wait(lambda: tab.one("#thread").is_displayed(), what="the run's thread")


def finish_run(tab: browser.Page) -> None:
    """Press Done on every step of the refund run in the open thread, then Finish; step 4 is
    the Team lead's (the sample's cast names Sam), so Sam takes and does it, then Maria goes on."""
    for number in range(1, 7):
        if number == 4:
            tab.wait_text("#thread", "Waiting for a Team lead")
            open_run_thread(tab, "Sam (manager)")
            tab.button("Take this step", within="#thread").click()
        tab.button("Done, next step", within="#thread").click()
        tab.wait_text("#thread", f"Step {number + 1} of 7")
        if number == 4:
            open_run_thread(tab, "Maria (staff)")
            tab.wait_text("#thread", "Step 5 of 7")
    tab.button("Finish", within="#thread").click()
    tab.wait_text("#thread", "Finished")


def chart_shown(tab: browser.Page) -> bool:
    """An image in the channel or in a thread; opens the newest thread when none is open."""
    if tab.css(".m-file img, .b-image img"):
        return True
    threads = tab.css("#main .m-replies")
    if threads and not tab.one("#thread").is_displayed():
        threads[-1].click()
    return False


def test_maria_follows_the_refund_sop_to_finish_in_its_thread(tab: browser.Page):
    tab.shot(SHOTS, "01-start")
    assert "#support" in tab.text_of(".chan-title")
    start_refund_run(tab)
    assert "APP" in tab.text_of("#main .app-badge")
    tab.shot(SHOTS, "02-run-started")
    finish_run(tab)
    tab.wait_text("#main", "Completed")  # the parent, updated in place by chat.update
    assert "(edited)" in tab.text_of("#main")
    tab.shot(SHOTS, "03-run-finished")


def test_stop_asks_first_as_slack_does(tab: browser.Page):
    start_refund_run(tab)
    tab.button("Stop", within="#thread").click()
    tab.wait_text("#confirm-overlay", "Stop this run?")
    tab.shot(SHOTS, "04-stop-confirm")
    tab.button("Keep going", within="#confirm-overlay").click()
    tab.wait(lambda: not tab.one("#confirm-overlay").is_displayed(), what="the dialog to close")
    tab.button("Stop", within="#thread").click()
    tab.button("Stop", within="#confirm-overlay").click()
    tab.wait_text("#main", "Stopped at step 1")


def test_feedback_modal_shows_the_apps_field_error_then_thanks(tab: browser.Page):
    start_refund_run(tab)
    buttons = [b.text for b in tab.css("#thread button")]
    assert "Feedback on this step" in buttons
    tab.button("Feedback on this step", within="#thread").click()
    text = tab.one("#overlay .modal textarea", what="the feedback field")
    text.send_keys("   ")
    tab.button("Send", within="#overlay").click()
    error = tab.one("#overlay .in-error", what="the field error")
    assert "spaces" in error.text
    tab.shot(SHOTS, "05-feedback-field-error")
    text = tab.one("#overlay .modal textarea")
    text.clear()
    text.send_keys("The refund template link is dead <script>alert(1)</script>")
    tab.button("Send", within="#overlay").click()
    tab.wait_text("#overlay", "Thanks!")
    assert "<script>alert(1)</script>" in tab.text_of("#overlay")  # shown as text, not run
    tab.shot(SHOTS, "06-feedback-sent")
    tab.one("#overlay .modal-x").click()
    tab.wait(lambda: not tab.one("#overlay").is_displayed(), what="the modal to close")


def test_the_feedback_form_offers_sops_as_you_type_and_then_their_steps(tab: browser.Page):
    tab.type("#text", "/feedback")
    tab.wait(lambda: tab.css("#overlay .modal") or tab.css("#main .msg"), what="an answer")
    assert tab.css("#overlay .modal"), "/feedback opened no form"
    search = tab.one("#overlay .ext-input", what="the SOP picker")
    search.click()
    search.send_keys("refund")
    tab.wait(
        lambda: (
            (options := [o.text for o in tab.css("#overlay .ext-option")])
            and options[0] == "Handle a refund request"
            and "Onboard a new hire" not in options
        ),
        what="the app's suggestions for 'refund'",
    )
    tab.css("#overlay .ext-option")[0].click()
    tab.wait_text("#overlay", "Log and close")  # the app updated the form with its steps
    tab.choose("#overlay select", "3. Decide who approves")
    tab.one("#overlay .modal textarea").send_keys("Who approves exactly $200?")
    tab.shot(SHOTS, "06b-feedback-form")
    tab.button("Send", within="#overlay").click()
    tab.wait_text("#overlay", "step 3: Decide who approves")


def test_sam_the_manager_sees_the_digest_when_the_clock_reaches_it(
    play: Playground, tab: browser.Page
):
    start_refund_run(tab)
    finish_run(tab)  # some activity for the digest to count
    tab.type("#text", "/sop")
    tab.wait_text("#main", "Only visible to you")
    tab.choose("#user", "Sam (manager)")
    tab.wait(lambda: tab.side_item("ops-managers"), what="Sam's channels")
    assert "Only visible to you" not in tab.text_of("#main")  # Maria's help was hers alone
    tab.open_view("sopbot")
    tab.wait_text("#main", "SOPs for you")  # the Home tab the bot published for Sam
    tab.shot(SHOTS, "07-sam-home")
    jobs = [job.id for job in play.ticker.jobs]
    assert any("digest" in job for job in jobs), jobs
    tab.open_view("ops-managers")
    # The digest at 09:00 reports the day before: To next digest goes to tomorrow's, where
    # today's run shows, and says so.
    assert "covers Mon 30 Nov" in tab.text_of("#to-digest")
    for _ in range(1):
        tab.one('[data-advance="digest"]').click()
        tab.wait_text("#toast", "Clock moved")
        tab.wait_text("#clock", "09:0")
        tab.driver.execute_script("document.getElementById('toast').hidden = true")
    try:
        tab.wait(lambda: chart_shown(tab), timeout=20, what="the digest and its chart")
        chart = tab.css(".m-file img, .b-image img")[-1]
        tab.wait(lambda: chart.get_attribute("naturalWidth") != "0", what="the chart to load")
        tab.driver.execute_script("arguments[0].scrollIntoView()", chart)
    finally:
        tab.shot(SHOTS, "08-digest")
        refused = [c.response.get("errors") or c.error for c in play.fake.calls if not c.ok]
        assert not [r for r in refused if "invalid" in str(r)], f"Slack refused: {refused}"


def test_an_author_previews_every_step_and_sees_errors_on_save(play: Playground, tab: browser.Page):
    tab.open_view("SOP preview")
    tab.choose("[data-preview-pick]", "Handle a refund request (v1)")
    tab.wait_text("#main", "Step 7 of 7")
    assert "data-inert" in tab.one("#main .preview").get_attribute("outerHTML")
    tab.shot(SHOTS, "09-preview")
    sops = play.settings.sops_dir
    (sops / "support" / "broken.md").write_text("---\ncolour: red\n---\n# B\n", encoding="utf-8")
    tab.wait_text("#banner", "support/broken.md:2")
    tab.shot(SHOTS, "10-preview-error")
    (sops / "support" / "broken.md").unlink()
    refund = sops / "support" / "refund-request.md"
    source = refund.read_text(encoding="utf-8")
    refund.write_text(source.replace("1. Greet the customer", "1. Welcome the customer"))
    tab.wait_text("#main", "Handle a refund request (v2)")
    tab.wait_text("#main", "Step 1 of 7 · Welcome the customer")
    tab.wait(lambda: tab.text_of("#banner") == "", what="the error banner to go")
    tab.shot(SHOTS, "11-preview-v2")


def test_hostile_sop_text_is_shown_never_run(play: Playground, tab: browser.Page):
    evil = play.settings.sops_dir / "support" / "evil.md"
    evil.write_text(
        "---\nid: evil\n---\n# Evil <img src=x onerror=\"document.title='pwned'\">\n\n"
        "## Steps\n### <script>document.title='pwned'</script>\n"
        "Click [me](javascript:document.title='pwned') or <b onclick=x>this</b>.\n",
        encoding="utf-8",
    )
    tab.open_view("SOP preview")
    tab.wait(
        lambda: any("Evil" in o.text for o in tab.css("[data-preview-pick] option")),
        what="the evil SOP published",
    )
    tab.choose(
        "[data-preview-pick]",
        next(o.text for o in tab.css("[data-preview-pick] option") if "Evil" in o.text),
    )
    tab.wait_text("#main", "<script>document.title='pwned'</script>")
    assert tab.driver.title == "sopbot playground"
    assert not tab.css("#main script, #main [onerror], #main [onclick], #main a[href^=javascript]")
    tab.shot(SHOTS, "12-hostile-text")


def test_sam_edits_a_step_and_the_file_and_preview_follow(play: Playground, tab: browser.Page):
    tab.choose("#user", "Sam (manager)")
    tab.wait(lambda: tab.side_item("ops-managers"), what="Sam's channels")
    tab.open_view("support")
    tab.type("#text", "/sop edit refund 3")
    tab.wait_text("#overlay", "Edit step 3 of Handle a refund request")
    body = tab.one("#overlay .modal textarea", what="the step's Markdown")
    assert "You can approve on your own" in (body.get_attribute("value") or "")
    body.clear()
    body.send_keys("Approve up to $250 on your own; above that, ask the team lead.")
    tab.shot(SHOTS, "11-edit-step")
    tab.button("Save and publish", within="#overlay").click()
    tab.wait_text("#overlay", "Published")
    tab.shot(SHOTS, "12-edit-published")
    refund = play.settings.sops_dir / "support" / "refund-request.md"
    assert "Approve up to $250 on your own" in refund.read_text(encoding="utf-8")
    tab.one("#overlay .modal-x").click()
    tab.open_view("SOP preview")
    tab.wait_text("#main", "Approve up to $250 on your own")
    assert "Handle a refund request (v2)" in tab.text_of("#main")
