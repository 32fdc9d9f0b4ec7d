"""`sopbot worker`: only the scheduler and the outbox dispatcher, for multi-process deployments."""

from __future__ import annotations

import argparse
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.cli.errors import UsageError
from bot.cli.run_cmd import check_bot_token, mark_real_slack
from bot.cli.stopping import StopSignal, deadline_after, exit_now_if, remaining
from bot.clock import Clock
from bot.config import Settings
from bot.jobs.dispatcher import DeliveryLimits
from bot.memory import limit_malloc_arenas

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `worker` sub-command."""
    worker = commands.add_parser("worker")
    defaults = DeliveryLimits()
    worker.add_argument(
        "--per-minute",
        type=_pace,
        help="chat.postMessage budget per workspace, shared by every process, or auto to learn "
        "Slack's pace from its 429s (default: OUTBOX_PER_MINUTE, else auto)",
    )
    worker.add_argument(
        "--tier3-per-minute",
        type=_positive,
        default=defaults.tier3_per_minute,
        help="budget for conversations.open/history and chat.update (default: 50)",
    )
    worker.add_argument(
        "--lease",
        type=_positive,
        default=defaults.lease_seconds,
        help="seconds a claimed message stays reserved to this process (default: 120)",
    )
    worker.set_defaults(handler=run_worker)


def _pace(value: str) -> float | str:
    return "auto" if value.strip().lower() == "auto" else _positive(value)


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number")
    return number


def run_worker(args: argparse.Namespace, settings: Settings, clock: Clock) -> int:
    """Send and schedule until SIGTERM or SIGINT; then, within SHUTDOWN_GRACE, finish the send
    and jobs in flight, hand the other leased rows back, and exit 0."""
    check_bot_token(settings)
    limit_malloc_arenas()
    from bot.jobs.scheduler import STANDARD_JOBS
    from bot.wiring import build_background, build_job_context, build_runtime, serve_metrics

    runtime = build_runtime(settings, clock=clock)
    limits = DeliveryLimits(
        per_minute=_chosen_pace(args.per_minute, settings),
        tier3_per_minute=args.tier3_per_minute,
        lease_seconds=args.lease,
    )
    background = build_background(build_job_context(runtime), jobs=STANDARD_JOBS, limits=limits)
    _check_token_with_slack(background.dispatcher.client)
    mark_real_slack(runtime)
    stop = StopSignal()
    stop_metrics = serve_metrics(runtime)
    background.start()
    pace = (
        "at Slack's pace (auto)" if limits.per_minute is None else f"at most {limits.per_minute:g}"
    )
    log.info(
        "sopbot worker %s sending %s messages a minute", background.dispatcher.dispatcher_id, pace
    )
    stop.wait()
    grace = settings.shutdown_grace
    log.info("sopbot worker stopping (%s; grace %gs)", stop.received or "stop", grace)
    deadline = deadline_after(grace)
    finished = background.stop(timeout=remaining(deadline))
    stop_metrics()
    runtime.database.dispose()
    log.info("sopbot worker stopped")
    exit_now_if(not finished)
    return 0


def _chosen_pace(flag: float | str | None, settings: Settings) -> float | None:
    """Messages a minute from --per-minute, else OUTBOX_PER_MINUTE; None means auto."""
    if flag is None:
        return settings.outbox_per_minute
    return None if flag == "auto" else float(flag)


def _check_token_with_slack(client: WebClient) -> None:
    """Stop at once on a refused token, rather than failing every queued message with it."""
    try:
        client.auth_test()
    except OSError as exc:
        log.warning("cannot reach Slack (%s); starting anyway, messages wait in the outbox", exc)
    except SlackApiError as exc:
        if exc.response.status_code != 200:
            log.warning("auth.test answered HTTP %s; starting anyway", exc.response.status_code)
            return
        raise UsageError(
            f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}); copy it again from "
            "your app's OAuth & Permissions page"
        ) from None
