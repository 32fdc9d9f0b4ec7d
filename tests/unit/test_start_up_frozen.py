"""`sopbot run` leaves its start-up objects out of the collector's later passes."""

from __future__ import annotations

import gc

from bot.cli import run_cmd
from bot.cli.run_cmd import freeze_start_up


def test_objects_made_before_serving_are_frozen_and_later_ones_are_not():
    made_at_start_up = [[n] for n in range(1000)]  # lists: objects the collector tracks
    try:
        freeze_start_up()
        later = [[n] for n in range(10)]
        tracked = {id(o) for o in gc.get_objects()}
        assert gc.get_freeze_count() >= len(made_at_start_up)
        assert not any(id(o) in tracked for o in made_at_start_up)
        assert all(id(o) in tracked for o in later)
    finally:
        gc.unfreeze()


def test_what_start_up_freed_is_handed_back_once_it_is_frozen(monkeypatch):
    trims: list[int] = []
    monkeypatch.setattr(
        run_cmd, "release_freed_memory", lambda: trims.append(gc.get_freeze_count())
    )
    try:
        run_cmd.freeze_start_up()
        assert len(trims) == 1 and trims[0] > 0  # once, after the freeze
    finally:
        gc.unfreeze()
