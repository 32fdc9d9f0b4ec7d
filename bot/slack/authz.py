"""The permission rules of bot/services/authz.py, asked of Slack for one person.

Slack's answers come from the context's people cache (a minute each).
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.services import authz, team_digests
from bot.services.catalog import Entry, Snapshot
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)
Entries = tuple[Entry, ...]


def may_handle_sop(
    ctx: SlackContext, user_id: str, owner: str | None, *, slug: str | None = None
) -> bool:
    """Whether the person may manage an SOP with this `owner:` (a user ID or an e-mail): its
    owner, the members of its `managers:` channel (given its slug), SOPBOT_ADMINS, workspace
    admins and owners, and MANAGER_CHANNEL members."""
    settings = ctx.runtime.settings
    managers = managers_channel(ctx, slug) if slug else None
    return authz.may_handle(
        ctx.people, settings=settings, user_id=user_id, owner=owner, managers_channel=managers
    )


def managers_channel(ctx: SlackContext, slug: str) -> str | None:
    """The channel ID of the live SOP's `managers:`, if it has one sopbot can find."""
    with ctx.runtime.database.session() as session:
        record = ctx.runtime.live_sop(session, slug)
        revision = record.current_revision if record is not None else None
        written = revision.content.get("managers") if revision is not None else None
    if not written:
        return None
    return ctx.people.channel_id(written[1:]) if written.startswith("#") else written


def managed_through_channels(ctx: SlackContext, user_id: str, entries: Entries) -> set[str]:
    """The live SOPs (of `entries`) whose `managers:` channel has this person among its
    members."""
    slugs: set[str] = set()
    for channel, names in team_digests.managers_channels(entries).items():
        found = ctx.people.channel_id(channel[1:]) if channel.startswith("#") else channel
        if found is not None and user_id in ctx.people.channel_members(found):
            slugs |= names
    return slugs


def managed_sops(
    ctx: SlackContext, user_id: str, snapshot: Snapshot | None = None
) -> frozenset[str] | None:
    """The live SOPs this person may manage: None for every SOP (SOPBOT_ADMINS, workspace
    admins, MANAGER_CHANNEL), else the ones they own or manage through their `managers:`
    channel (maybe none). `snapshot`: the catalog's, when the caller has it already."""
    if manages_every_sop(ctx, user_id):
        return None
    if snapshot is None:
        with ctx.runtime.database.session() as session:
            snapshot = ctx.runtime.catalog.snapshot(session)
    entries = snapshot.entries
    owned = {e.slug for e in entries if authz.owns(ctx.people, user_id=user_id, owner=e.sop.owner)}
    return frozenset(owned | managed_through_channels(ctx, user_id, entries))


def sop_manager_channel(ctx: SlackContext, slug: str | None) -> str | None:
    """Where an SOP's managers hear about it: its `managers:` channel, else MANAGER_CHANNEL."""
    own = managers_channel(ctx, slug) if slug else None
    return own or ctx.runtime.settings.manager_channel


def manager_channels(ctx: SlackContext, slug: str | None) -> tuple[str, ...]:
    """The channels whose members may manage an SOP, its own `managers:` first, then
    MANAGER_CHANNEL (for a refusal to say whom to ask)."""
    own = managers_channel(ctx, slug) if slug else None
    found = (own, ctx.runtime.settings.manager_channel)
    return tuple(dict.fromkeys(c for c in found if c))


def manages_every_sop(ctx: SlackContext, user_id: str) -> bool:
    """SOPBOT_ADMINS, workspace admins and owners, and MANAGER_CHANNEL members."""
    settings = ctx.runtime.settings
    return authz.manages_every_sop(ctx.people, settings=settings, user_id=user_id)


def is_admin(ctx: SlackContext, user_id: str) -> bool:
    """SOPBOT_ADMINS and the workspace's admins and owners; False when Slack cannot say."""
    try:
        return authz.is_admin(ctx.people, settings=ctx.runtime.settings, user_id=user_id)
    except SlackApiError as exc:
        log.warning("could not tell whether %s is an admin: %s", user_id, exc)
        return False
