"""Claiming Events API deliveries: the first claim wins, every later one is refused."""

from bot.db.events import claim_event
from bot.runtime import utc_now


def test_an_event_is_claimed_once(db):
    with db.session() as session:
        assert claim_event(session, event_id="Ev01", now=utc_now()) is True
    with db.session() as session:
        assert claim_event(session, event_id="Ev01", now=utc_now()) is False
        assert claim_event(session, event_id="Ev02", now=utc_now()) is True
