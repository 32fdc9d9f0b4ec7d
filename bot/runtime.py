"""What every listener and job runs with: settings, the database, the clock, the SOP catalog."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.clock import Clock as Clock  # where every caller has found it
from bot.clock import utc_now as utc_now
from bot.config import Settings
from bot.db.models import SopRecord
from bot.db.session import Database
from bot.services.catalog import Catalog
from bot.services.feedback_quota import process_secret


@dataclass
class Runtime:
    """What listeners and jobs run with: settings, the database, a clock, the catalog, a key."""

    settings: Settings
    database: Database
    clock: Clock = utc_now
    catalog: Catalog = field(default_factory=Catalog)
    # Keys the feedback limiter; from the environment, never stored (see feedback_quota).
    quota_secret: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        if not self.quota_secret:
            self.quota_secret = process_secret(self.settings)

    def live_sop(self, session: Session, slug: str) -> SopRecord | None:
        """The published, not retired SOP with this slug, by way of the catalog."""
        entry = self.catalog.snapshot(session).get(slug)
        return session.get(SopRecord, entry.record_id) if entry is not None else None
