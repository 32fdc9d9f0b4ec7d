"""The digest pauses Python's cyclic collector while it runs, and always restores it."""

from __future__ import annotations

import gc

import pytest

from bot.services.digest import collector_paused


@collector_paused
def seen(fail: bool = False) -> bool:
    if fail:
        raise RuntimeError("boom")
    return gc.isenabled()


def test_paused_inside_and_enabled_again_after_even_on_error():
    assert gc.isenabled()
    assert seen() is False
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        seen(fail=True)
    assert gc.isenabled()


def test_a_collector_someone_else_disabled_stays_disabled():
    gc.disable()
    try:
        seen()
        assert not gc.isenabled()
    finally:
        gc.enable()
