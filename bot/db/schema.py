"""Imports every model module, so `Base.metadata` describes the whole schema."""

from bot.db import (
    digest,  # noqa: F401
    feedback,  # noqa: F401
    models,
    outbox,  # noqa: F401
    recordings,  # noqa: F401
    scheduled,  # noqa: F401
    team_digests,  # noqa: F401
    training,  # noqa: F401
)
from bot.db.models import Base

__all__ = ["Base", "models"]
