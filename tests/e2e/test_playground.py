"""The playground through its JSON API, as the page uses it: the real bot, the simulated Slack."""

# Fixtures are imported by name (tests/e2e/conftest.py belongs to other tests); pytest then
# passes them in as parameters of the same name, which F811 would flag on every test.
# ruff: noqa: F811

from __future__ import annotations

import html
import json
import logging
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import time

import pytest
import yaml
from sqlalchemy import select

from bot.db.digest import SKIPPED_LATE, Digest
from bot.db.scheduled import POSTED, ScheduledRun
from bot.db.sops import default_workspace as default_sop_workspace
from bot.playground.actions import APP_COMMANDS
from bot.playground.wiring import Playground
from bot.services import digest_config
from bot.slack.ids import Action
from bot.slacksim import DEFAULT_TOKEN
from bot.slacksim.seed import CONTRACTORS, GINA, MARIA, OPS_MANAGERS, SAM, SUPPORT
from tests.conftest import ROOT
from tests.e2e.conversation import buttons
from tests.e2e.playground_fixtures import (  # noqa: F401 - fixtures are used by name
    PageClient,
    page,
    play,
)

REFUND = "support/refund-request.md"


def shown_text(fragment: str) -> str:
    """The words a person reads in an HTML fragment."""
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def step_with(play: Playground, parent_ts: str, number: int, action: str) -> dict:
    """Step `number` of the run's thread once it offers `action`."""
    return play.fake.wait_for(
        lambda: next(
            (
                m
                for m in play.fake.thread(SUPPORT, parent_ts)[1:]
                if f"Step {number} of 7" in m["text"] and action in buttons(m)
            ),
            None,
        ),
        what=f"step {number} with {action}",
    )


def test_the_page_is_served_beside_the_bot_with_a_strict_policy(page: PageClient):
    status, headers, body = page.request("/")
    assert status == 200 and b'<script src="/play/static/play.js"' in body
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    for asset in ("play.js", "play.css"):
        assert page.request(f"/play/static/{asset}")[0] == 200
    assert page.request("/play/static/../wiring.py")[0] == 404
    assert page.request("/healthz")[2] == b"ok"
    assert page.request("/slack/events", body={})[0] == 401  # still bolt, checking signatures


def test_the_api_refuses_requests_a_foreign_page_could_make(play: Playground, page: PageClient):
    before = len(play.fake.messages(SUPPORT))
    send = {"view": SUPPORT, "text": "hi"}
    assert page.request("/play/api/send", send, headers={"X-Playground": ""})[0] == 404
    assert page.request("/play/api/send", send, headers={"Content-Type": "text/plain"})[0] == 415
    assert page.request("/play/api/state", headers={"Host": "evil.test"})[0] == 403
    assert page.refused("send", **send, extra=1).startswith("send:")
    assert len(play.fake.messages(SUPPORT)) == before  # none of them posted anything


def test_the_simulated_web_api_takes_only_this_runs_token_from_this_machine(play: Playground):
    def post(token: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        body = urllib.parse.urlencode({"channel": SUPPORT, "text": "<!here> hi"}).encode()
        sent = {"Authorization": f"Bearer {token}", **(headers or {})}
        request = urllib.request.Request(f"{play.fake.api_url}chat.postMessage", body, sent)
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    before = len(play.fake.messages(SUPPORT))
    assert play.fake.token != DEFAULT_TOKEN and len(play.fake.token) >= 32
    assert json.loads(post(DEFAULT_TOKEN)[1])["error"] == "invalid_auth"
    # A page elsewhere, by DNS rebinding (its own Host) or cross-site (its own Origin).
    assert post(play.fake.token, {"Host": "evil.example"})[0] == 403
    assert post(play.fake.token, {"Origin": "https://evil.example"})[0] == 403
    assert post(play.fake.token, {"Origin": "null"})[0] == 403
    assert len(play.fake.messages(SUPPORT)) == before  # none of them posted anything
    assert post(play.fake.token, {"Origin": "http://localhost:3000"})[0] == 200  # this machine
    assert len(play.fake.messages(SUPPORT)) == before + 1


def test_the_page_refuses_a_foreign_origin(page: PageClient):
    assert page.request("/play/api/state", headers={"Origin": "https://evil.example"})[0] == 403
    assert page.request("/play/api/state", headers={"Origin": page.base})[0] == 200


def test_sop_refund_to_finish_in_a_thread(play: Playground, page: PageClient):
    page.post("send", view=SUPPORT, text="/sop refund")
    state = page.wait_state(
        lambda s: "Handle a refund request" in s["main"], what="the run", view=SUPPORT
    )
    parent = play.fake.messages(SUPPORT)[-1]
    assert 'class="app-badge">APP<' in state["main"] and "@Maria" in shown_text(state["main"])
    for number in range(1, 8):
        if number == 4:  # the Team lead's step: Sam (the sample's cast) takes and does it
            waiting = step_with(play, parent["ts"], 4, Action.TAKE_STEP)
            page.post("user", user=SAM)
            value = buttons(waiting)[Action.TAKE_STEP]
            page.post("click", source=waiting["ts"], action_id=Action.TAKE_STEP, value=value)
        step = step_with(play, parent["ts"], number, Action.STEP_DONE)
        label = "Finish" if number == 7 else "Done, next step"
        thread = page.state(view=SUPPORT, thread=parent["ts"])["thread"]
        assert f'data-source="{step["ts"]}"' in thread and f">{label}</button>" in thread
        page.post(
            "click",
            source=step["ts"],
            action_id=Action.STEP_DONE,
            value=buttons(step)[Action.STEP_DONE],
        )
        if number == 4:
            page.post("user", user=MARIA)
    state = page.wait_state(
        lambda s: "Completed" in shown_text(s["main"]), what="the parent updated", view=SUPPORT
    )
    assert "(edited)" in state["main"]  # chat.update changed it in place
    thread = page.wait_state(
        lambda s: "Finished" in shown_text(s["thread"]),
        what="the summary in the thread",
        view=SUPPORT,
        thread=parent["ts"],
    )["thread"]
    assert "replies</button>" not in thread  # the pane's parent has no reply link of its own


def test_ephemerals_and_slacks_own_notices_show_only_to_their_person(page: PageClient):
    page.post("send", view=SUPPORT, text="/sop")
    page.post("send", view=SUPPORT, text="/nope<@U01SAMLEAD>")
    maria = page.wait_state(
        lambda s: (
            "Find and follow an SOP" in s["main"] and "/nope&lt;@U01SAMLEAD&gt; is not" in s["main"]
        ),
        what="help and a notice",
        view=SUPPORT,
    )
    assert maria["main"].count("Only visible to you") == 2
    page.post("user", user=SAM)
    sam = page.state(view=SUPPORT)
    assert sam["me"]["id"] == SAM and "Only visible to you" not in sam["main"]
    assert "Sam (manager)" in [p["label"] for p in sam["people"]]


def test_the_guest_and_the_acme_member_can_be_played_and_see_what_the_policy_lets_them(
    page: PageClient,
):
    labels = [p["label"] for p in page.state()["people"]]
    assert "Gina (guest)" in labels and "Eve (other organisation)" in labels
    page.post("user", user=GINA)
    page.post("send", view=CONTRACTORS, text="/sop list")
    gina = page.wait_state(
        lambda s: "No SOPs you can open" in shown_text(s["main"]),
        what="Gina's empty list",
        view=CONTRACTORS,
    )
    assert "Handle a refund request" not in shown_text(gina["main"])


def test_the_commands_the_page_sends_to_the_app_are_the_manifests():
    manifest = yaml.safe_load((ROOT / "deploy" / "slack-app-manifest.yml").read_text())
    registered = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert registered == APP_COMMANDS


def test_plain_messages_are_posted_as_slack_clients_post_them(play: Playground, page: PageClient):
    page.post("send", view=SUPPORT, text="<!channel> fish & <script>chips</script>")
    posted = play.fake.messages(SUPPORT)[-1]
    assert posted["user"] == MARIA
    assert posted["text"] == "&lt;!channel&gt; fish &amp; &lt;script&gt;chips&lt;/script&gt;"
    shown = page.state(view=SUPPORT)["main"]
    assert "&lt;script&gt;chips" in shown and "<script>" not in shown
    assert "@channel" not in shown_text(shown).replace("<!channel>", "")
    assert "member of" in page.refused("send", view=OPS_MANAGERS, text="hi")


def test_a_thread_reply_and_a_command_in_a_thread(play: Playground, page: PageClient):
    page.post("send", view=SUPPORT, text="Anyone on the refund queue?")
    parent = play.fake.messages(SUPPORT)[-1]
    page.post("send", view=SUPPORT, text="On it", thread_ts=parent["ts"])
    page.post("send", view=SUPPORT, text="/sop refund", thread_ts=parent["ts"])
    thread = page.state(view=SUPPORT, thread=parent["ts"])["thread"]
    assert "On it" in thread and "/sop is not supported in threads" in thread
    assert "1 reply" in page.state(view=SUPPORT)["main"]


def test_the_home_tab_is_the_one_the_bot_publishes(page: PageClient):
    page.post("home")
    state = page.wait_state(lambda s: "SOPs for you" in s["main"], what="Home", view="app")
    assert 'data-source="V' in state["main"] and ">Start</button>" in state["main"]


def test_advancing_the_clock_runs_the_due_jobs_and_sends_the_outbox(
    play: Playground, page: PageClient
):
    play.fake.wait_for(lambda: "training-assign" in {j for _, j in play.ticker.ran}, what="start")
    before = {j for _, j in play.ticker.ran}
    answer = page.post("advance", seconds=3600)
    assert "training-remind" in answer["ran"] and "training-remind" not in before
    # Each jump lets one more minute pass, for work the due jobs left to their next run.
    answer = page.post("advance", to="digest")
    assert answer["now"].startswith("2026-12-01T09:01")  # 09:31 is past today's 09:00
    assert "training-assign" in page.post("advance", seconds=86400)["ran"]
    assert "advance" in page.refused("advance", seconds=-5).lower()
    assert play.runtime.clock().isoformat().startswith("2026-12-02T09:02")


def test_a_jump_reports_a_due_job_even_when_the_ticker_thread_ticks_during_it(
    play: Playground, page: PageClient, monkeypatch: pytest.MonkeyPatch
):
    # The ticker thread ticks every interval on its own. One tick that landed between a
    # jump's clock move and the jump's own tick ran the job that had just fallen due, so the
    # jump's answer left it out (seen once on a busy machine). Here that tick is made to land
    # there, at the stop where training-assign falls due again.
    play.fake.wait_for(lambda: "training-assign" in {j for _, j in play.ticker.ran}, what="start")
    (assign,) = [job for job in play.ticker.jobs if job.id == "training-assign"]
    move, crossed = play.clock.advance_to, []

    def move_then_let_the_ticker_thread_tick(moment):
        moved = move(moment)
        if not crossed and assign.due is not None and moment >= assign.due:
            crossed.append(moment)
            other = threading.Thread(target=play.ticker.tick, name="a background tick")
            other.start()
            other.join(timeout=2)  # it runs now unless the jump holds the ticker
        return moved

    monkeypatch.setattr(play.clock, "advance_to", move_then_let_the_ticker_thread_tick)
    answer = page.post("advance", seconds=86400)
    assert crossed, "the jump never reached the time training-assign is due"
    assert "training-assign" in answer["ran"]
    ran_in_jump = [job for at, job in play.ticker.ran if at >= crossed[0]]
    assert ran_in_jump.count("training-assign") == 1


def test_next_digest_follows_the_time_and_days_set_with_sop_config(
    play: Playground, page: PageClient
):
    with play.runtime.database.session() as session:
        workspace = default_sop_workspace(session)
        current = digest_config.load(session, settings=play.settings, workspace=workspace)
        wednesdays = replace(current, at=time(10, 30), tz="America/New_York", weekdays={2})
        digest_config.save(session, workspace=workspace, config=wednesdays)
    clock = page.state()["clock"]
    assert clock["digest_zone"] == "10:30 America/New_York"
    # Monday 30 November 08:30 UTC: the first posting after midnight in New York is on
    # Wednesday 2 December, 10:30 there, 15:30 UTC; it covers Tuesday. Maria reads Berlin time.
    assert (clock["tz"], clock["digest"], clock["covers"]) == (
        "Europe/Berlin",
        "Wed 16:30",
        "Tue 1 Dec",
    )
    answer = page.post("advance", to="digest")
    assert answer["now"].startswith("2026-12-02T15:31") and answer["covers"] == "2026-12-01"


def test_to_next_digest_goes_to_the_digest_that_covers_today(play: Playground, page: PageClient):
    # Monday 08:30 UTC, before today's 09:00 digest (which covers Sunday): the next that
    # covers Monday, where what Maria does now shows, posts on Tuesday.
    assert page.state()["clock"]["covers"] == "Mon 30 Nov"
    answer = page.post("advance", to="digest")
    assert answer["now"].startswith("2026-12-01T09:01") and answer["covers"] == "2026-11-30"


def test_a_jump_stops_where_work_falls_due_so_nothing_is_missed_or_warned_about(
    play: Playground, page: PageClient, caplog: pytest.LogCaptureFixture
):
    # From Monday 08:30 to Tuesday's digest the jump passes Monday's 09:00 digest (covering
    # Sunday) and the sample's scheduled "Open the day" at 09:00 in #ops: as if the bot ran.
    with caplog.at_level(logging.INFO):
        page.post("advance", to="digest")
    assert [r.getMessage() for r in caplog.records if r.levelno > logging.INFO] == []
    with play.runtime.database.session() as session:
        days = {d.day.isoformat(): d.status for d in session.scalars(select(Digest))}
        opened = {
            row.scheduled_for.isoformat(): row.state
            for row in session.scalars(select(ScheduledRun))
        }
    assert days.keys() == {"2026-11-29", "2026-11-30"} and SKIPPED_LATE not in days.values()
    assert opened["2026-11-30T09:00:00+00:00"] == POSTED, opened


def test_a_bot_upload_is_shown_as_an_image_and_only_images_display(
    play: Playground, page: PageClient
):
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    # files_upload_v2, as the digest shares its chart: three calls against the fake Slack.
    play.fake.client().files_upload_v2(
        channel=OPS_MANAGERS, content=png, filename="kpis.png", title="KPIs this week"
    )
    play.fake.client().files_upload_v2(channel=OPS_MANAGERS, content=b"<svg/>", filename="x.svg")
    page.post("user", user=SAM)
    shown = page.wait_state(
        lambda s: "/play/files/" in s["main"], what="the shared files", view=OPS_MANAGERS
    )["main"]
    image, other = re.findall(r'/play/files/(F\w+)"', shown)
    assert f'<img src="/play/files/{image}" alt="KPIs this week">' in shown
    assert f'<a href="/play/files/{other}" download>x.svg</a>' in shown
    status, headers, body = page.request(f"/play/files/{image}")
    assert (status, headers["Content-Type"], body) == (200, "image/png", png)
    status, headers, _ = page.request(f"/play/files/{other}")
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == "attachment"
    assert page.request("/play/files/F0NOPE")[0] == 404


def test_saving_an_sop_republishes_it_with_errors_and_diff(play: Playground, page: PageClient):
    sops = play.settings.sops_dir
    broken = sops / "support" / "broken.md"
    broken.write_text("---\ncolour: red\n---\n# Broken\n", encoding="utf-8")
    state = page.wait_state(lambda s: s["publish"], what="the error banner", view="preview")
    assert "support/broken.md:2: unknown front-matter key" in shown_text(state["publish"])
    broken.unlink()
    refund = sops / REFUND
    refund.write_text(
        refund.read_text().replace("### 1. Greet the customer", "### 1. Welcome the customer"),
        encoding="utf-8",
    )
    # The page lists v2 as soon as the publish commits; the watcher records the publish (and
    # so the preview follows it) once its training pass is done too.
    state = page.wait_state(
        lambda s: "changed    refund-request v1 -> v2" in shown_text(s["main"]),
        what="v2 published",
        view="preview",
    )
    assert not state["publish"]
    preview = shown_text(state["main"])
    assert "Handle a refund request (v2)" in preview and "Welcome the customer" in preview
    assert "changed    refund-request v1 -> v2" in preview
    assert "Step 1 of 7 · Welcome the customer" in preview
    assert "data-inert" in state["main"]

    # A material change: training is assigned at once and its DMs listed (the outbox sends them).
    # (The start-up pass's v1 quizzes may still be arriving too: the outbox sends both.)
    def v2_quiz_to_maria(s: dict) -> bool:
        listed = shown_text(s["main"]).split("Direct messages since this publish")[-1]
        return any(
            dm.startswith("Maria Schmidt") and "Training: Handle a refund request (v2)" in dm
            for dm in listed.split(" To ")
        )

    page.wait_state(v2_quiz_to_maria, what="Maria's v2 quiz DM", view="preview")
    # A later publish that changes nothing (a re-save, or a second look at a file that was
    # still being written) keeps the preview on the SOP that changed.
    assert play.watcher.republish().changed == ()
    assert "Step 1 of 7 · Welcome the customer" in shown_text(page.state(view="preview")["main"])


def test_the_feedback_modal_shows_field_errors_then_closes(play: Playground, page: PageClient):
    page.post("send", view=SUPPORT, text="/sop refund")
    parent = play.fake.wait_for(lambda: play.fake.messages(SUPPORT), what="the run")[-1]
    step = play.fake.wait_for(lambda: play.fake.thread(SUPPORT, parent["ts"])[1:], what="step 1")[
        -1
    ]
    assert Action.STEP_FEEDBACK in buttons(step)
    value = buttons(step)[Action.STEP_FEEDBACK]
    page.post("click", source=step["ts"], action_id=Action.STEP_FEEDBACK, value=value)
    state = page.wait_state(lambda s: s["modal"], what="the modal", view=SUPPORT)
    view_id = re.search(r'data-view-id="(V[^"]+)"', state["modal"])[1]
    text_block = re.search(r'<textarea[^>]*data-block-id="([^"]+)"', state["modal"])[1]
    page.post("submit", view_id=view_id, values={text_block: "   "})
    state = page.state(view=SUPPORT)
    assert 'class="in-error"' in state["modal"]
    done = page.post("submit", view_id=view_id, values={text_block: "The template link is dead"})
    assert done["outcome"] in ("updated", "closed", "cleared")
    if done["outcome"] == "updated":
        page.post("close", view_id=view_id)
    assert page.state(view=SUPPORT)["modal"] is None


def test_sam_edits_a_step_and_the_file_and_preview_follow(play: Playground, page: PageClient):
    page.post("user", user=SAM)
    page.post("send", view=SUPPORT, text="/sop edit refund 3")
    state = page.wait_state(lambda s: s["modal"], what="the editor", view=SUPPORT)
    assert "Edit step 3 of Handle a refund request" in shown_text(state["modal"])
    assert "Retrain people on this change" in shown_text(state["modal"])
    view_id = re.search(r'data-view-id="(V[^"]+)"', state["modal"])[1]
    view = play.fake.open_view(SAM)
    body = next(b for b in view["blocks"] if b["block_id"] == "edit-body")["element"]
    words = body["initial_value"].replace("$200 or less", "$250 or less")
    done = page.post("submit", view_id=view_id, values={"edit-body": words, "edit-note": "new"})
    assert done["outcome"] == "updated"
    assert "Published" in shown_text(page.state(view=SUPPORT)["modal"])
    refund = play.settings.sops_dir / REFUND
    assert "$250 or less" in refund.read_text()
    state = page.wait_state(
        lambda s: "$250 or less" in shown_text(s["main"]), what="the preview", view="preview"
    )
    assert "Handle a refund request (v2)" in shown_text(state["main"])
