"""A database error names the statement, never the values bound to it."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from bot.db import outbox
from bot.db.session import Database

SECRET = "xoxb-feedback-text-that-must-stay-private"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
log = logging.getLogger("tests.engine_errors")


def test_an_integrity_error_neither_says_nor_logs_the_bound_values(db: Database, caplog):
    # A workspace that does not exist: the foreign key fails, and neither database puts the
    # message text into its own error (PostgreSQL's DETAIL names only the missing key).
    with pytest.raises(IntegrityError) as caught, db.session() as session:
        outbox.enqueue(session, key="k", workspace_id=987654, user_id="U1", text=SECRET, now=T0)
        session.flush()
    assert "[SQL: " in str(caught.value)
    assert SECRET not in str(caught.value)
    with caplog.at_level(logging.ERROR, logger=log.name):
        log.error("job failed", exc_info=caught.value)
    assert caplog.text and SECRET not in caplog.text
