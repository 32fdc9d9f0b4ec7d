"""The `/sop config` modal for the digest, and the owner's review nudge with its confirmation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.services.digest_config import WEEKDAY_NAMES, DigestConfig
from bot.services.sop_review import StaleNudge
from bot.slack.ids import Action, View
from bot.slack.kit.blocks import bold, button, code, context, mention, plain, section
from bot.slack.kit.limits import MAX_OPTIONS, OPTION_TEXT

CHANNEL_BLOCK, TIME_BLOCK, TZ_BLOCK, DAYS_BLOCK, OPTIONS_BLOCK = (
    "digest-channel",
    "digest-time",
    "digest-tz",
    "digest-days",
    "digest-options",
)
SKIP_EMPTY = "skip_empty"
MAX_TEAM_LINES = 20
ZONES = (
    "UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Berlin", "Europe/Paris",
    "Europe/Madrid", "Europe/Rome", "Europe/Amsterdam", "Europe/Zurich", "Europe/Vienna",
    "Europe/Stockholm", "Europe/Warsaw", "Europe/Prague", "Europe/Athens", "Europe/Helsinki",
    "Europe/Istanbul", "Europe/Kyiv", "Africa/Lagos", "Africa/Johannesburg", "Africa/Nairobi",
    "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Tokyo",
    "Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
    "America/St_Johns", "America/Halifax", "America/New_York", "America/Chicago",
    "America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage",
    "Pacific/Honolulu", "America/Mexico_City", "America/Bogota", "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
)  # fmt: skip


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, OPTION_TEXT), "value": value}


def _input(block_id: str, label: str, element: dict, **extra: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": plain(label, 2000), "element": element,
            **extra}  # fmt: skip


def config_modal(
    config: DigestConfig, *, team: bool = False, teams: tuple[DigestConfig, ...] = ()
) -> dict[str, Any]:
    """The digest settings form, filled with the current values.

    `team`: the digest of one SOP managers channel (its channel is fixed); `teams`: those
    channels' settings, listed under the overview's form.
    """
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": str(Action.DIGEST_CHANNEL),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        "placeholder": plain("The managers' channel", 150),
    }
    if config.channel:
        channel["initial_conversation"] = config.channel
    zones = list(dict.fromkeys([config.tz, *ZONES]))[:MAX_OPTIONS]
    tz_options = [_option(z.replace("_", " "), z) for z in zones]
    days = [_option(name, str(n)) for n, name in enumerate(WEEKDAY_NAMES)]
    skip = _option("Skip days with no activity at all", SKIP_EMPTY)
    options: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": str(Action.DIGEST_OPTIONS),
        "options": [skip],
    }
    if config.skip_empty:
        options["initial_options"] = [skip]
    intro = (
        f"The daily digest of the SOPs whose managers are <#{config.channel}>."
        if team
        else "The daily digest of KPIs for managers: the overview of every SOP."
    )
    blocks = [
        context(intro, block_id="digest-intro"),
        *([] if team else [_input(CHANNEL_BLOCK, "Post to", channel)]),
        _input(
            TIME_BLOCK,
            "At",
            {
                "type": "timepicker",
                "action_id": str(Action.DIGEST_TIME),
                "initial_time": config.at.strftime("%H:%M"),
            },
        ),  # fmt: skip
        _input(
            TZ_BLOCK,
            "Time zone",
            {
                "type": "static_select",
                "action_id": str(Action.DIGEST_TZ),
                "options": tz_options,
                "initial_option": tz_options[0],
            },
        ),  # fmt: skip
        _input(
            DAYS_BLOCK,
            "On",
            {
                "type": "checkboxes",
                "action_id": str(Action.DIGEST_WEEKDAYS),
                "options": days,
                "initial_options": [days[n] for n in sorted(config.weekdays)],
            },
        ),  # fmt: skip
        _input(OPTIONS_BLOCK, "Quiet days", options, optional=True),
    ]
    if teams:
        lines = "\n".join(f"• {t.describe()}" for t in teams[:MAX_TEAM_LINES])
        text = f"*SOP managers channels* (each gets a digest of its SOPs)\n{lines}\n"
        text += "Change one with `/sop config #channel`."
        blocks.append(section(text, block_id="digest-teams"))
    return {
        "type": "modal",
        "private_metadata": config.channel if team and config.channel else "",
        "callback_id": str(View.DIGEST_CONFIG),
        "title": plain("Daily digest", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks,
    }


def read_config(view: dict[str, Any]) -> dict[str, Any]:
    """The submitted form as plain values for `digest_config.parse`."""
    values = (view.get("state") or {}).get("values") or {}

    def entry(block_id: str, action: Action) -> dict[str, Any]:
        return (values.get(block_id) or {}).get(str(action)) or {}

    tz = (entry(TZ_BLOCK, Action.DIGEST_TZ).get("selected_option") or {}).get("value")
    days = entry(DAYS_BLOCK, Action.DIGEST_WEEKDAYS).get("selected_options") or []
    options = entry(OPTIONS_BLOCK, Action.DIGEST_OPTIONS).get("selected_options") or []
    return {
        "channel": entry(CHANNEL_BLOCK, Action.DIGEST_CHANNEL).get("selected_conversation"),
        "time": entry(TIME_BLOCK, Action.DIGEST_TIME).get("selected_time"),
        "tz": tz,
        "weekdays": [o.get("value") for o in days],
        "skip_empty": any(o.get("value") == SKIP_EMPTY for o in options),
    }


FIELD_BLOCKS = {
    "channel": CHANNEL_BLOCK,
    "time": TIME_BLOCK,
    "tz": TZ_BLOCK,
    "weekdays": DAYS_BLOCK,
}


def saved_view(config: DigestConfig) -> dict[str, Any]:
    """The modal after Save: what the digest does from now on."""
    text = f"Saved. The daily digest goes to {config.describe()}."
    return {
        "type": "modal",
        "callback_id": f"{View.DIGEST_CONFIG}.saved",
        "title": plain("Daily digest", 24),
        "close": plain("Done", 24),
        "blocks": [section(text, block_id="digest-saved")],
    }


def not_an_admin() -> dict[str, Any]:
    """The refusal for anyone but admins."""
    text = "Only sopbot admins and workspace admins can change the digest settings."
    return {"text": text, "blocks": [section(text, block_id="digest-refusal")]}


def stale_nudge(nudge: StaleNudge) -> dict[str, Any]:
    """To an SOP's owner, once per review period: review the SOP or confirm it is still right."""
    what = "reviewed" if nudge.reviewed else "changed"
    text = (
        f"{bold(nudge.title)} ({code(nudge.slug)}) was last {what} {nudge.days_since} days ago;"
        f" it should be reviewed every {nudge.review_every_days} days. Is it still right?"
        f" Edit {code(nudge.path or nudge.slug, 200)} and publish, or confirm it as it is."
    )
    confirm = button(
        "Confirm it's still right",
        action_id=Action.REVIEW_CONFIRM,
        value=nudge.slug,
        style="primary",
    )
    return {
        "text": f"Time to review {bold(nudge.title)}",
        "blocks": [
            section(text, block_id="review-nudge"),
            {"type": "actions", "block_id": "review-actions", "elements": [confirm]},
        ],
    }


def review_confirmed(*, slug: str, title: str, by: str, at: datetime) -> dict[str, Any]:
    """The nudge, replaced in place once someone confirmed the SOP."""
    text = (
        f"{bold(title)} ({code(slug)}) confirmed as still right by {mention(by)} on {at:%Y-%m-%d}."
    )
    return {"text": text, "blocks": [section(text, block_id="review-done")]}
