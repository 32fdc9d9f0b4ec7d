"""Where a jump of the playground's clock must stop, so the bot misses nothing along the way."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.schedule import entries
from bot.db.sops import default_workspace
from bot.runtime import Runtime
from bot.services.scheduled_runs import scheduled_sops, zone_of

# Under the digests' six-hour grace (bot/services/digest.GRACE): a digest time jumped over is
# still sent at the next stop, never recorded "not sent: sopbot was not running".
HOP = timedelta(hours=5)


def waypoints(runtime: Runtime, *, start: datetime, end: datetime) -> list[datetime]:
    """The moments in (start, end) to tick at: every scheduled run's start, and every HOP."""
    with runtime.database.session() as session:
        workspace_id = default_workspace(session).id
        scheduled = scheduled_sops(session, workspace_id=workspace_id)
    moments = set()
    for _record, _revision, sop in scheduled:
        # A scheduled run jumped over would be recorded missed; in the playground the bot ran.
        zone = zone_of(sop, runtime.settings.digest_tz)
        for entry in entries(sop.schedule):
            moments.update(entry.occurrences(zone, after=start, until=end))
    hop = start + HOP
    while hop < end:
        moments.add(hop)
        hop += HOP
    return sorted(m for m in moments if start < m < end)
