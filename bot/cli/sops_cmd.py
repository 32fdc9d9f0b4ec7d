"""`sopbot sops check|publish|list|show|confirm`: validate, publish, read and review SOPs."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli import cast_cmd, training_cmd
from bot.cli.errors import UsageError
from bot.clock import Clock
from bot.config import Settings
from bot.core.model import Sop
from bot.core.parse import load_sops
from bot.core.text import sop_as_text
from bot.db import sops as repo
from bot.db.migrate import open_current
from bot.services import sop_review
from bot.services.feedback import FeedbackRenderers
from bot.services.publish import publish_directory


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `sops` sub-command and its actions."""
    sops = commands.add_parser("sops")
    actions = sops.add_subparsers(dest="sops_command", metavar="ACTION", required=True)

    check = actions.add_parser("check", help="validate SOP files without writing anything")
    check.add_argument("dir", nargs="?", type=Path, help="folder of SOPs (default: SOPS_DIR)")
    check.set_defaults(handler=check_sops)

    publish = actions.add_parser("publish", help="store changed SOP files as new revisions")
    publish.add_argument("dir", nargs="?", type=Path, help="folder of SOPs (default: SOPS_DIR)")
    publish.add_argument(
        "--minor", action="store_true", help="mark every change as non-material (no retraining)"
    )
    publish.set_defaults(handler=publish_sops)

    listing = actions.add_parser("list", help="list published SOPs")
    listing.add_argument("--all", action="store_true", help="include retired SOPs")
    listing.set_defaults(handler=list_sops)

    show = actions.add_parser("show", help="print one SOP as text")
    show.add_argument("slug", help="the SOP's id")
    show.add_argument("--revision", type=int, help="revision number (default: current)")
    show.set_defaults(handler=show_sop)

    confirm = actions.add_parser(
        "confirm", help="record that an SOP was reviewed and is still right (no new revision)"
    )
    confirm.add_argument("slug", help="the SOP's id")
    confirm.set_defaults(handler=confirm_sop)


def _directory(args: argparse.Namespace, settings: Settings) -> Path:
    directory = args.dir or settings.sops_dir
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a folder; pass one or set SOPS_DIR")
    return directory


def check_sops(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Print every error in every file; exit 1 if there is any."""
    directory = _directory(args, settings)
    sops, errors = load_sops(directory)
    for error in errors:
        print(error)
    if errors:
        files = len({e.path for e in errors})
        print(f"{len(errors)} error(s) in {files} file(s); nothing was published")
        return 1
    print(f"{len(sops)} SOP(s) OK in {directory}")
    cast_cmd.check_after_parse(settings, sops)
    return 0


def publish_sops(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Publish the folder; print one line per SOP and the changed steps."""
    directory = _directory(args, settings)
    database = open_current(settings.database_url, now=clock())
    with database.session() as session:
        report = publish_directory(
            session,
            directory=directory,
            now=clock(),
            minor=args.minor,
            renderers=feedback_renderers(),
        )
    for error in report.errors:
        print(error)
    if report.errors:
        print(f"{len(report.errors)} error(s); nothing was published")
        return 1
    for outcome in report.outcomes:
        print("\n".join(outcome.describe()))
    print(f"{len(report.new_revisions)} new revision(s)")
    training_cmd.assign_after_publish(settings, database, report, clock=clock)
    cast_cmd.refresh_after_publish(settings, database, clock=clock)
    return 0


def feedback_renderers() -> FeedbackRenderers:
    """The Slack layer's feedback messages, for feedback a new revision addressed.

    Loaded on first use: most publishes address no feedback, and the Slack layer brings Slack's
    libraries with it (a tenth of a second of start-up for `sopbot sops publish`).
    """

    def load() -> FeedbackRenderers:
        from bot.slack.renderers import build_renderers

        return build_renderers().feedback

    return FeedbackRenderers(
        routed=lambda item, note: load().routed(item, note),
        status_update=lambda item: load().status_update(item),
    )


def list_sops(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Print one line per SOP: id, revision, title, state."""
    database = open_current(settings.database_url, now=clock())
    with database.session() as session:
        workspace = repo.default_workspace(session)
        records = repo.list_sops(session, workspace_id=workspace.id, include_retired=args.all)
        rows = [
            (
                r.slug,
                f"v{r.current_revision.number}" if r.current_revision else "-",
                r.title,
                "retired" if r.retired_at else "",
            )
            for r in records
        ]
    if not rows:
        print("no SOPs published yet; run: sopbot sops publish")
        return 0
    width = max(len(slug) for slug, *_ in rows)
    for slug, number, title, state in rows:
        print(f"{slug:<{width}}  {number:>4}  {title}  {state}".rstrip())
    return 0


def show_sop(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Print one SOP (current or a given revision) as text."""
    database = open_current(settings.database_url, now=clock())
    with database.session() as session:
        workspace = repo.default_workspace(session)
        record = repo.get_sop(session, workspace_id=workspace.id, slug=args.slug)
        if record is None or record.current_revision is None:
            raise UsageError(f"no SOP with id {args.slug!r}; see: sopbot sops list")
        revision = record.current_revision
        if args.revision is not None:
            revision = repo.get_revision(session, sop_id=record.id, number=args.revision)
            if revision is None:
                raise UsageError(
                    f"{args.slug} has no revision {args.revision} "
                    f"(latest is v{record.current_revision.number})"
                )
        text = sop_as_text(Sop.from_dict(revision.content), revision=revision.number)
        if revision.editor:
            text += edited_line(revision.editor, revision.credit, revision.note) + "\n"
    print(text, end="")
    return 0


def edited_line(editor: str, credit: str | None, note: str | None) -> str:
    """`Edited in Slack by U123 (suggested by U456): the note`."""
    line = f"Edited in Slack by {editor}"
    line += f" (suggested by {credit})" if credit else ""
    return line + (f": {note}" if note else "")


def confirm_sop(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Record a review of the SOP now; it stops being stale for another review period."""
    from bot.wiring import build_runtime  # on demand: it loads Slack and the jobs

    runtime = build_runtime(settings, clock=clock)
    try:
        with runtime.database.session() as session:
            workspace = repo.default_workspace(session)
            record = repo.get_sop(session, workspace_id=workspace.id, slug=args.slug)
            if record is None or record.retired_at is not None:
                raise UsageError(f"no published SOP with id {args.slug!r}; see: sopbot sops list")
            sop_review.confirm_review(session, record=record, user_id=None, now=runtime.clock())
            title = record.title
    finally:
        runtime.database.dispose()
    print(f"{args.slug}: review recorded for {title}; next review due in its review period")
    return 0
