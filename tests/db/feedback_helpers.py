"""What the feedback database tests share: the published sample SOPs and a way to give feedback."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.db.session import Database
from bot.services.feedback import Draft, FeedbackRenderers, Routing, give
from bot.services.publish import publish_directory
from tests.conftest import SAMPLE_SOPS

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MARIA, PRIYA, SAM = "U01MARIA01", "U01PRIYA01", "U01SAMLEAD"
ROUTING = Routing(manager_channel="C01OPSMGRS")
SECRET = b"the signing secret, from the environment"
RENDER = FeedbackRenderers(
    routed=lambda item, note: {"text": f"routed #{item.feedback_id} {item.status} {note}".strip()},
    status_update=lambda item: {"text": f"now {item.status}"},
)


@pytest.fixture
def sops(db: Database, tmp_path: Path) -> Path:
    """The sample SOPs, published as v1."""
    folder = tmp_path / "sops"
    shutil.copytree(SAMPLE_SOPS, folder)
    with db.session() as session:
        assert publish_directory(session, directory=folder, now=T0, renderers=RENDER).errors == []
    return folder


def submit(db: Database, user: str = MARIA, *, step: int = 3, now: datetime = T0, **kw):
    draft = Draft(
        slug=kw.pop("slug", "refund-request"),
        step=step,
        kind=kw.pop("kind", "problem"),
        text=kw.pop("text", "the approval link is dead"),
        anonymous=kw.pop("anonymous", False),
    )
    with db.session() as session:
        return give(
            session,
            draft=draft,
            user_id=user,
            owner_id=kw.pop("owner_id", SAM),
            routing=kw.pop("routing", ROUTING),
            render=RENDER,
            now=now,
            quota_secret=kw.pop("quota_secret", SECRET),
            **kw,
        )
