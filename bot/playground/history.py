"""A month of the seeded team's work, made through the real services at simulated past times.

`sopbot play` starts with it (not with `--empty`): the same seed and start give the same month.
The story, told by the numbers the digest, `/sop kpis`, the Home tabs and the chart show:

- The customer-inquiry SOP was published 95 days ago and never reviewed since: it is stale.
- The other SOPs came 30 days ago; each working day the team runs them in working hours (some
  steps slow, some runs given up at the SOP's usual drop-off step) and searches for SOPs,
  a few times for one that does not exist.
- 14 days ago a material revision of the onboarding SOP went out (feedback on its step 2 led
  to it): most of its audience passed the quiz, one person never opened it (overdue), one
  keeps failing the same question.
- Feedback in every state: open (one anonymous), acknowledged, resolved, won't fix, withdrawn,
  and the one that led to the change.

What is still on screen looks as the running bot would have left it: the last working day's
runs are pressed through Slack's buttons (their threads are in #support, one still open), and
each quiz is taken from its invitation DM, which shows its result. The rest goes straight to
the services, in one transaction per stretch between scheduler ticks.
"""

from __future__ import annotations

import logging
import random
import shutil
import tempfile
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.core.parse import load_sops
from bot.db import digest as digest_store
from bot.db import sops as sop_repo
from bot.jobs.cast import refresh_cast
from bot.jobs.training import OwnerIds, assign_training
from bot.playground.hands import Hands, ServiceHands, SlackHands
from bot.playground.quizzer import Quizzer
from bot.playground.timeline import InSession, Timeline
from bot.services import cast
from bot.services import digest as digests
from bot.services import feedback as giving
from bot.services import feedback_handling as handling
from bot.services.lookup import lookup
from bot.services.publish import publish_directory
from bot.services.runs import RunState
from bot.services.training_records import sop_training
from bot.slacksim import seed

if TYPE_CHECKING:
    from bot.core.model import Sop
    from bot.playground.wiring import Playground

log = logging.getLogger(__name__)

DAYS = 30
REVISED_AGO = timedelta(days=14)
SHOWN = timedelta(days=1)  # the last (working) day's runs leave their threads in Slack
STALE_AGO = timedelta(days=95)
SEED = 17
DIGESTS = 7  # the digests of the last week are posted (the latest one with its chart)
LEAD = STALE_AGO + timedelta(days=1)  # how far back the clock goes
# The scheduler's jobs whose work in the past shows: digests, rollups, reminders and overdue
# marks, review nudges. The others would find nothing to do in a month of a fixed team that the
# history publishes and casts itself (audience and cast passes, scheduled SOPs, git) or only
# tidy up (rate limits, claims, retention); they run at the demo's first tick.
TICK_JOBS = frozenset(
    {"digest-tick", "team-digests", "kpi-rollup", "training-remind", "sop-review-nudges"}
)
# At midday only reminders are new: those the morning's quiet hours held back go out then.
MIDDAY_JOBS = frozenset({"training-remind"})
REFUND, INQUIRY, REVISED = "refund-request", "customer-inquiry", "new-hire-onboarding"
CHANGED_STEP = 2  # the step of REVISED whose v1 wording drew feedback and was changed in v2
OLD_LINE = "Order the laptop with the old IT request form (it-requests@example.com)."
SUPPORT = (seed.MARIA, seed.PRIYA, seed.JO)
OPS = (seed.TOM, seed.ANA)
LEADS = (seed.SAM, seed.ANA)
ZONES = {
    seed.MARIA: "Europe/Berlin",
    seed.SAM: "Europe/London",
    seed.PRIYA: "Asia/Kolkata",
    seed.TOM: "Europe/Berlin",
    seed.JO: "America/New_York",
    seed.ANA: "Europe/Berlin",
}
# How often each sample SOP is run on a working day, and who searches what for it.
PER_DAY = {INQUIRY: 2.6, REFUND: 1.4, "outsourced-work": 0.4, "new-hire-onboarding": 0.1}
QUERIES = {
    INQUIRY: ("customer inquiry", "answer customer", "inquiry"),
    REFUND: ("refund", "refnud", "refund request"),
    "outsourced-work": ("outsourced work", "freelancer brief"),
    "new-hire-onboarding": ("onboarding", "new hire"),
}
MISSES = ("gdpr export", "invoice copy", "password reset", "chargeback dispute", "vpn access")


@dataclass
class Month:
    """What was generated, for tests and the log: runs and searches per day, feedback made."""

    started: Counter = field(default_factory=Counter)  # (UTC start moment, slug)
    completed: list[tuple[datetime, str]] = field(default_factory=list)
    abandoned: list[tuple[datetime, str, int]] = field(default_factory=list)  # (.., .., step)
    misses: list[tuple[datetime, str]] = field(default_factory=list)
    feedback: dict[str, int] = field(default_factory=dict)  # story name -> feedback ID
    calls: int = 0

    def runs_on(self, day: date, zone: ZoneInfo) -> int:
        """Runs started on a local day."""
        return sum(n for (at, _), n in self.started.items() if at.astimezone(zone).date() == day)


def generate(play: Playground, *, start: datetime, seed_value: int = SEED) -> Month:
    """Play the month before `start` into the playground's fresh database; the clock ends there."""
    sops, errors = load_sops(play.settings.sops_dir)
    if errors:
        log.info("no history: SOPS_DIR has errors")
        return Month()
    story = _Story(play, {s.slug: s for s in sops}, start, random.Random(seed_value))
    with tempfile.TemporaryDirectory(prefix="sopbot-history-") as scratch:
        story.plan(Path(scratch))
        story.month.calls = story.timeline.play(until=start)
    play.clock.advance_to(start)
    return story.month


class _Story:
    """Lays out the month on a Timeline: publishes, runs, searches, quizzes, feedback, ticks."""

    def __init__(self, play: Playground, sops: dict[str, Sop], start: datetime, rng: random.Random):
        self.play, self.sops, self.start, self.rng = play, sops, start, rng
        self.month = Month()
        self.timeline = Timeline(play.clock, play.runtime.database.session)
        self.owner_ids = OwnerIds(play.job)
        self.first = start - timedelta(days=DAYS)
        self.workspace_id: int | None = None
        self.digests = play.digest_config()  # nobody changes it in the past
        self.shown_since = shown_since(start)
        self.service_hands, self.slack_hands = ServiceHands(), SlackHands(play.runtime)
        self.quizzer = Quizzer(play, self.rng)

    # -- the plan ------------------------------------------------------------------------

    def plan(self, scratch: Path) -> None:
        first, revised = self.first, self.start - REVISED_AGO
        sops_dir = self.play.settings.sops_dir
        if INQUIRY in self.sops:
            early = self._copy(sops_dir, scratch / "early", only={INQUIRY})
            at = self._work_time(self.start - STALE_AGO, seed.SAM, hour=10)
            self.timeline.job(at, lambda now: self._publish(early))
            self._wave(INQUIRY, at, passers=SUPPORT + (seed.SAM,))
        self.timeline.job(first - timedelta(minutes=1), lambda now: self._digests_from(now))
        # A scheduled SOP comes out when the demo starts: a month of runs nobody took in the
        # simulation would read as a month of missed ones.
        later = {slug for slug, sop in self.sops.items() if sop.schedule}
        v1 = self._copy(sops_dir, scratch / "v1", only=None, older=REVISED in self.sops, skip=later)
        self.timeline.job(first, lambda now: self._publish(v1))
        self._wave(None, first, passers=tuple(ZONES))
        if REVISED in self.sops:
            v2 = self._copy(sops_dir, scratch / "v2", only=None, skip=later)
            self.timeline.job(revised, lambda now: self._publish(v2))
            self._revision_wave(revised)
        self._feedback(first, revised)
        for n in range(DAYS + 1):
            day = (first + timedelta(days=n)).date()
            self._day(day)
            # The jobs matter from the revision on (reminders, overdue, digests, nudges); before
            # it everyone passed within days, and rollups catch up at the first tick.
            if day >= revised.date():
                self._ticks(day)
            else:  # commit each day: a long transaction's flushes slow down
                self.timeline.job(_utc(day, 23, 59), lambda now: None)
        # One run still open when the demo starts (Priya's: Maria, played first, starts afresh).
        if REFUND in self.sops:
            self._run(REFUND, seed.PRIYA, self.start - timedelta(minutes=25), stop_at=None, end=2)

    def _copy(
        self, source: Path, target: Path, *, only: set[str] | None, older=False, skip=frozenset()
    ) -> Path:
        """SOPS_DIR as it stood then: some SOPs only, REVISED in its first wording."""
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".*", "__pycache__"))
        for slug, sop in self.sops.items():
            path = target / sop.path
            if (only is not None and slug not in only) or slug in skip:
                path.unlink()
            elif older and slug == REVISED:
                path.write_text(_first_wording(path.read_text(encoding="utf-8")), "utf-8")
        return target

    def _day(self, day: date) -> None:
        """A day's runs and searches, in each person's working hours (lighter at weekends)."""
        weekend = day.weekday() >= 5
        for slug, rate in PER_DAY.items():
            if slug not in self.sops:
                continue
            count = _poisson(self.rng, rate * (0.4 if weekend else 1.0))
            for _ in range(count):
                who = self.rng.choice(_runners(self.sops[slug]))
                at = self._work_time(datetime.combine(day, time(), UTC), who)
                if at > self.first:  # the SOPs came out that morning
                    self._run(slug, who, at)
        for _ in range(0 if weekend else _poisson(self.rng, 0.7)):
            who = self.rng.choice(tuple(ZONES))
            at = self._work_time(datetime.combine(day, time(), UTC), who)
            query = self.rng.choice(MISSES)
            self.timeline.call(at, lambda s, now, q=query, w=who: self._search(s, now, q, w))

    def _ticks(self, day: date) -> None:
        """The scheduler's jobs, as a running bot would run them: at the digest time and midday."""
        digest_time = self.digests.due_at(day) + timedelta(minutes=2)
        for at, jobs in ((digest_time, TICK_JOBS), (_utc(day, 13, 30), MIDDAY_JOBS)):
            if self.first <= at:
                self.timeline.job(at, lambda now, j=jobs: self._tick(now, j))

    def _tick(self, now: datetime, jobs: frozenset[str]) -> None:
        """A scheduler tick; only the latest digest gets its chart (each takes most of a second)."""
        latest = self.start.astimezone(self.digests.zone).date() - timedelta(days=1)
        with self.play.runtime.database.session() as session:
            for row in digest_store.charts_waiting(session, now=now):
                if row.day < latest:
                    digest_store.finish_chart(
                        session, digest_id=row.id, state=digest_store.CHART_NONE, now=now
                    )
        self.play.ticker.tick(only=jobs)

    # -- runs and searches -----------------------------------------------------------------

    def _run(self, slug: str, who: str, at: datetime, *, stop_at: int | None = -1, end=None):
        """A run: a search, the start, each step in its time; some stop at the drop-off step."""
        sop = self.sops[slug]
        n = len(sop.steps)
        slow, drop = _slow_step(sop), min(2, n)
        if stop_at == -1:
            stop_at = drop if self.rng.random() < 0.12 else None
        query = self.rng.choice(QUERIES.get(slug, (sop.title,)))
        channel = _channel(sop)
        # The last working day's runs are pressed in Slack, so their threads are there to see.
        shown = at >= self.shown_since
        hands: Hands = self.slack_hands if shown else self.service_hands
        state: dict = {"who": who}

        def begin(session: Session | None, now: datetime) -> None:
            with self._session(session) as s:
                lookup(
                    s, snapshot=self.play.runtime.catalog.snapshot(s),
                    query=query, user_id=who, now=now,
                )  # fmt: skip
                record = sop_repo.get_sop(s, workspace_id=self._workspace(s), slug=slug)
            assert record is not None
            state["run"] = hands.start(session, now, record=record, who=who, channel=channel)
            if state["run"] is not None:
                self.month.started[(now, slug)] += 1

        def done(session: Session | None, now: datetime) -> None:
            run: RunState | None = state["run"]
            if run is None:
                return
            if state["who"] is None:  # a step for another role: its holder takes it, then does it
                with self._session(session) as s:
                    holders = cast.holders(s, sop=slug, role=run.step_role or "")
                state["who"] = self.rng.choice(holders or [who])
                assert run.visit_id is not None
                hands.take(session, now, visit_id=run.visit_id, who=state["who"])
            after = hands.done(session, now, state=run, who=state["who"])
            if after is not None and after.status == "active":
                state.update(run=after, who=after.assignee_id)
            elif after is not None and after.status == "completed":
                self.month.completed.append((now, slug))

        def stop(session: Session | None, now: datetime) -> None:
            if state["run"] is not None:
                hands.stop(session, now, run_id=state["run"].run_id, who=who)
                self.month.abandoned.append((now, slug, stop_at or 0))

        schedule = self._job if shown else self.timeline.call
        schedule(at, begin)
        for number in range(1, (end or n) + 1):
            base = 18.0 if number == slow else 2.5
            at += timedelta(minutes=max(0.5, self.rng.lognormvariate(0, 0.5) * base))
            if number == stop_at:
                schedule(at + timedelta(minutes=20), stop)
                return
            if end is None or number < end:
                schedule(at, done)

    def _job(self, at: datetime, action: InSession) -> None:
        """`action` as a timeline job: its own transactions, as a request in Slack has."""
        self.timeline.job(at, lambda now: action(None, now))

    def _session(self, session: Session | None) -> AbstractContextManager[Session]:
        """The timeline's open transaction, or a new one for a job."""
        return nullcontext(session) if session is not None else self.play.runtime.database.session()

    def _search(self, session: Session, now: datetime, query: str, who: str) -> None:
        snapshot = self.play.runtime.catalog.snapshot(session)
        found = lookup(session, snapshot=snapshot, query=query, user_id=who, now=now)
        if found.kind == "none":
            self.month.misses.append((now, query))

    # -- publishing and training -------------------------------------------------------------

    def _publish(self, directory: Path) -> None:
        """Publish a folder as `sopbot run` does, assign training, send the DMs."""
        runtime = self.play.runtime
        with runtime.database.session() as session:
            report = publish_directory(
                session, directory=directory, now=runtime.clock(),
                renderers=self.play.job.renderers.feedback,
            )  # fmt: skip
        material = {o.slug for o in report.new_revisions if o.diff and o.diff.material}
        if material:
            assign_training(self.play.job, slugs=material)
        # As the playground does on a publish: the cast at once, so hand-offs reach the lead.
        refresh_cast(self.play.job, slugs={o.slug for o in report.new_revisions})
        self.play.ticker.drain()

    def _wave(self, slug: str | None, published: datetime, *, passers: tuple[str, ...]) -> None:
        """Everyone assigned then passes within a couple of working days."""
        for who in passers:
            at = self._work_time(published + timedelta(days=self.rng.choice((0, 1, 1, 2))), who)
            at = max(at, published + timedelta(hours=1))
            self.timeline.call(at, lambda s, now, w=who: self._quizzes(s, now, w, slug))

    def _revision_wave(self, published: datetime) -> None:
        """The revision's wave: most pass, Jo never opens it, Priya twice fails one question."""
        for who in (seed.MARIA, seed.SAM, seed.TOM, seed.ANA):
            at = self._work_time(published + timedelta(days=self.rng.choice((0, 1, 2))), who)
            at = max(at, published + timedelta(hours=1))
            self.timeline.call(at, lambda s, now, w=who: self._quizzes(s, now, w, REVISED))
        for days in (8, 12):  # after her reminders, and again two days ago
            at = self._work_time(published + timedelta(days=days), seed.PRIYA)
            self.timeline.call(
                at, lambda s, now: self._quizzes(s, now, seed.PRIYA, REVISED, wrong=True)
            )

    def _quizzes(self, session, now, who: str, slug: str | None, *, wrong: bool = False) -> None:
        """Take every open quiz of `who` (on `slug`): right, or wrong on the first question."""
        for name in [slug] if slug else list(self.sops):
            record = sop_repo.get_sop(session, workspace_id=self._workspace(session), slug=name)
            if record is None:
                continue
            training = sop_training(session, record=record)
            for row in training.pending + training.overdue:
                if row.user_id == who:
                    self.quizzer.take(session, now, who, row.assignment_id, wrong=wrong)

    # -- feedback ------------------------------------------------------------------------------

    def _feedback(self, first: datetime, revised: datetime) -> None:
        """One item in each state, and the one that led to the refund SOP's change."""
        later = self.start - timedelta(days=1)
        items = [  # (name, when, slug, step, kind, author, text)
            ("changed", revised - timedelta(days=4), REVISED, CHANGED_STEP, "problem",
             seed.PRIYA, "The old IT request form was switched off last week; laptops are "
             "ordered in the IT portal now."),
            ("resolved", first + timedelta(days=5), REFUND, 5, "question", seed.JO,
             "Can we refund to a gift card if the customer asks for it?"),
            ("wont_fix", first + timedelta(days=9), "new-hire-onboarding", 1, "suggestion",
             seed.TOM, "Could IT order laptops for the whole quarter at once?"),
            ("acknowledged", later - timedelta(days=6), "outsourced-work", 2, "suggestion",
             seed.TOM, "A brief template in the shared drive would save us an hour each time."),
            ("open", later - timedelta(days=2), INQUIRY, 3, "problem", seed.MARIA,
             "The macro list linked here is out of date; two macros no longer exist."),
            ("anonymous", later - timedelta(hours=20), INQUIRY, 2, "problem", seed.JO,
             "Five minutes for a first reply is not realistic on Monday mornings."),
            ("withdrawn", later - timedelta(days=3), REFUND, 6, "praise", seed.MARIA,
             "The confirmation script saves me so much time!"),
            ("praise", later - timedelta(days=1), REFUND, 6, "praise", seed.JO,
             "The new confirmation script gets far fewer follow-up questions."),
        ]  # fmt: skip
        give, when = self._give, {}
        for name, at, slug, step, kind, who, text in items:
            if slug not in self.sops or step > len(self.sops[slug].steps):
                continue
            at = when[name] = self._work_time(at, who)
            draft = giving.Draft(slug, step, kind, text, anonymous=name == "anonymous")
            self.timeline.call(at, lambda s, now, n=name, d=draft, w=who: give(s, now, n, d, w))
        handled = [  # (name, after, status, by, reason)
            ("changed", timedelta(days=5), handling.RESOLVED, seed.ANA, "Step 2 fixed in v2."),
            ("resolved", timedelta(days=1), handling.RESOLVED, seed.SAM,
             "No: only the original payment method, or store credit. Step 5 says so."),
            ("wont_fix", timedelta(days=2), handling.WONT_FIX, seed.ANA,
             "IT needs the name of each hire to set the laptop up."),
            ("acknowledged", timedelta(hours=5), handling.ACKNOWLEDGED, seed.ANA, None),
        ]  # fmt: skip
        for name, after, status, by, reason in handled:
            if name in when:
                at = max(self._work_time(when[name] + after, by), when[name] + after)
                self.timeline.call(
                    at,
                    lambda s, now, n=name, st=status, b=by, r=reason: self._handle(
                        s, now, n, st, b, r
                    ),
                )
        if "withdrawn" in when:  # the author's Undo, three minutes later
            self.timeline.call(
                when["withdrawn"] + timedelta(minutes=3),
                lambda s, now: self._undo(s, now, "withdrawn", seed.MARIA),
            )

    def _give(self, session, now, name: str, draft: giving.Draft, who: str) -> None:
        target = giving.target(session, slug=draft.slug)
        owner = self.owner_ids(target.owner) if target and target.owner else None
        settings = self.play.settings
        given = giving.give(
            session, draft=draft, user_id=who, owner_id=owner,
            routing=giving.Routing(settings.manager_channel, settings.admins),
            render=self.play.job.renderers.feedback, now=now,
            quota_secret=self.play.runtime.quota_secret,
        )  # fmt: skip
        if given.item is not None:
            self.month.feedback[name] = given.item.feedback_id

    def _handle(self, session, now, name: str, status: str, by: str, reason: str | None) -> None:
        if name in self.month.feedback:
            handling.change_status(
                session, feedback_id=self.month.feedback[name], status=status, by=by,
                reason=reason, render=self.play.job.renderers.feedback, now=now,
            )  # fmt: skip

    def _undo(self, session, now, name: str, who: str) -> None:
        if name in self.month.feedback:
            handling.withdraw(
                session, feedback_id=self.month.feedback[name], user_id=who,
                render=self.play.job.renderers.feedback, now=now,
            )  # fmt: skip

    # -- helpers -------------------------------------------------------------------------------

    def _digests_from(self, now: datetime) -> None:
        """Digests go out for the last DIGESTS days: earlier days are marked as not sent.

        Drawing a month of charts would take most of the time the history may take; the
        digest job looks back a day only, so without these marks it would log each as missed.
        """
        runtime, config = self.play.runtime, self.digests
        last = (self.start - timedelta(days=DIGESTS + 1)).astimezone(config.zone).date()
        with runtime.database.session() as session:
            workspace_id = self._workspace(session)
            day = (self.start - LEAD).astimezone(config.zone).date()
            while day <= last:
                digests.skip(
                    session, workspace_id=workspace_id, day=day, tz=config.tz,
                    status=digest_store.SKIPPED_LATE, now=now, by="playground history",
                )  # fmt: skip
                day += timedelta(days=1)

    def _workspace(self, session: Session) -> int:
        if self.workspace_id is None:  # one for the whole month
            self.workspace_id = sop_repo.default_workspace(session).id
        return self.workspace_id

    def _work_time(self, day: datetime, who: str, *, hour: int | None = None) -> datetime:
        """A moment in `who`'s working hours on the (UTC) day of `day`."""
        zone = ZoneInfo(ZONES.get(who, "UTC"))
        local = datetime.combine(day.astimezone(UTC).date(), time(), zone)
        minutes = hour * 60 if hour is not None else self.rng.randrange(9 * 60, 16 * 60 + 30)
        return (local + timedelta(minutes=minutes)).astimezone(UTC)


def shown_since(start: datetime) -> datetime:
    """Where the runs shown in Slack begin: a day back, over a weekend to the last working day."""
    since = start - SHOWN
    while since.weekday() >= 5:
        since -= timedelta(days=1)
    return since


def _first_wording(source: str) -> str:
    """REVISED before its revision: step 2 also pointed at the old IT request form."""
    lines = source.splitlines(keepends=True)
    in_steps, seen = False, 0
    for i, line in enumerate(lines):
        if line.startswith("## "):
            in_steps = line.strip().lower() == "## steps"
        elif in_steps and line.startswith("### "):
            seen += 1
            if seen == CHANGED_STEP:
                after = i + 2 if lines[i + 1].startswith("Role:") else i + 1
                return "".join(lines[:after] + [OLD_LINE + "\n"] + lines[after:])
    return source


def _runners(sop: Sop) -> tuple[str, ...]:
    tags = set(sop.tags)
    if "support" in tags:
        return SUPPORT
    if "ops" in tags:
        return OPS
    return LEADS


def _channel(sop: Sop) -> str:
    tags = set(sop.tags)
    return seed.SUPPORT if "support" in tags else seed.OPS if "ops" in tags else seed.GENERAL


def _slow_step(sop: Sop) -> int:
    """The step that waits on someone else: another role than the first step's, else the middle."""
    first_role = sop.steps[0].role
    for step in sop.steps[1:]:
        if step.role and step.role != first_role:
            return step.number
    return (len(sop.steps) + 1) // 2


def _poisson(rng: random.Random, rate: float) -> int:
    """A Poisson-distributed count (Knuth's method; rates here are small)."""
    limit, count, product = pow(2.718281828459045, -rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _utc(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)
