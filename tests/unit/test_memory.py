"""glibc's malloc is asked for few arenas and given back what jobs freed."""

from __future__ import annotations

import platform
from types import SimpleNamespace

import pytest

from bot import memory
from bot.jobs import scheduler


class FakeLibc:
    """Records the malloc calls made of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[int, ...]]] = []

    def mallopt(self, *args: int) -> int:
        self.calls.append(("mallopt", args))
        return 1

    def malloc_trim(self, *args: int) -> int:
        self.calls.append(("malloc_trim", args))
        return 1


@pytest.fixture
def libc(monkeypatch):
    fake = FakeLibc()
    monkeypatch.setattr(memory, "_glibc", lambda: fake)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    return fake


def test_arenas_are_limited_to_two(libc):
    assert memory.limit_malloc_arenas() is True
    assert libc.calls == [("mallopt", (-8, 2))]  # M_ARENA_MAX in glibc's malloc.h


def test_an_operators_malloc_arena_max_stands(libc, monkeypatch):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert memory.limit_malloc_arenas() is False
    assert libc.calls == []


def test_freed_memory_is_trimmed_from_every_heap(libc):
    assert memory.release_freed_memory() is True
    assert libc.calls == [("malloc_trim", (0,))]


def test_without_glibc_both_do_nothing(monkeypatch):
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert memory.limit_malloc_arenas() is False
    assert memory.release_freed_memory() is False


def test_the_real_c_library_is_found_on_glibc_only():
    assert (memory._glibc() is not None) is (platform.libc_ver()[0] == "glibc")
    assert memory.release_freed_memory() is (platform.libc_ver()[0] == "glibc")


@pytest.mark.parametrize("fails", [False, True])
def test_every_job_gives_back_what_it_freed_even_when_it_fails(monkeypatch, fails):
    trims: list[str] = []
    monkeypatch.setattr(scheduler, "release_freed_memory", lambda: trims.append("trim"))

    def work(job):
        trims.append("ran")
        if fails:
            raise RuntimeError("the job failed")

    spec = scheduler.JobSpec("memory-test", work, scheduler.FORGET_QUOTA_TRIGGER)
    run = scheduler.counted(spec)
    if fails:
        with pytest.raises(RuntimeError):
            run(SimpleNamespace())
    else:
        run(SimpleNamespace())
    assert trims == ["ran", "trim"]


@pytest.mark.parametrize("missing", [OSError("no libc.so.6"), AttributeError("no mallopt")])
def test_a_c_library_that_is_not_glibc_is_left_alone(monkeypatch, missing):
    def cdll(name):
        if isinstance(missing, OSError):
            raise missing
        return SimpleNamespace(malloc_trim=lambda pad: 1)  # a libc without mallopt

    monkeypatch.setattr(memory.ctypes, "CDLL", cdll)
    memory._glibc.cache_clear()
    try:
        assert memory._glibc() is None
        assert memory.release_freed_memory() is False
    finally:
        memory._glibc.cache_clear()
