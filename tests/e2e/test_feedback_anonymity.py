"""Anonymous feedback against someone holding a copy of the database: a backup, a DBA."""

from __future__ import annotations

from datetime import datetime

from bot.jobs.scheduler import STANDARD_JOBS
from bot.slack.ids import Action
from bot.slacksim.seed import JO, MARIA, PRIYA
from tests.anonymity import copy_of, rows_at, traces
from tests.e2e.conftest import SIGNING_SECRET, Bot
from tests.e2e.conversation import deliver, visible_text
from tests.e2e.feedback_helpers import (
    choose_sop,
    one_line,
    open_form,
    stored,
    with_managers,
)


def give_anonymously(bot: Bot, user: str, step: int) -> None:
    """The form, sent with *send anonymously* ticked."""
    form = choose_sop(bot, user, open_form(bot, user), "refund-request", "refund")
    values = {
        "fb-sop": "refund-request",
        Action.FEEDBACK_STEP: str(step),
        "fb-text": f"step {step} takes too long",
        "fb-anon": ["anonymous"],
    }
    assert bot.slack.submit_view(user, form, values).outcome == "updated"


def test_a_copy_of_the_database_cannot_tie_anonymous_feedback_to_anyone(bot: Bot):
    with_managers(bot)
    members = list(bot.fake.ws.users)  # the attacker knows everyone in the workspace
    bot.clock.advance(minutes=17, seconds=23)
    assert "Thanks!" in visible_text(one_line(bot, MARIA, "refund 2 the macro is outdated"))
    bot.clock.advance(seconds=41)
    give_anonymously(bot, PRIYA, 4)
    bot.clock.advance(minutes=3)
    give_anonymously(bot, JO, 5)
    deliver(bot)
    priyas = stored(bot)[1]
    assert priyas.anonymous and priyas.author_id is None

    copy = copy_of(bot.runtime.database.url)
    # No hash of anyone that the database's own contents let one compute is stored...
    assert traces(copy, members) == []
    # ...and no counter says when within its hour it was spent, to match an item's time.
    assert "feedback_quota" not in {table for table, _ in rows_at(copy, priyas.created_at)}
    times = [v for row in copy["feedback_quota"] for v in row.values() if isinstance(v, datetime)]
    assert times and all((t.minute, t.second, t.microsecond) == (0, 0, 0) for t in times)

    # The README's "what remains": with the environment's secret too, this hour's counters
    # name who gave anonymous feedback in it, until the purge after the hour.
    environment = [SIGNING_SECRET.encode()]
    assert sorted(who for _, who in traces(copy, members, known=environment)) == [JO, PRIYA]
    bot.clock.advance(minutes=40)
    forget = {job.id: job for job in STANDARD_JOBS}["forget-feedback-quota"]
    forget.run(bot.job_context)
    after = copy_of(bot.runtime.database.url)
    assert after["feedback_quota"] == [] and traces(after, members, known=environment) == []
