"""`sopbot run` and `sopbot worker` ask glibc for two malloc arenas (checked with a fake libc)."""

from __future__ import annotations

import pytest

from bot.cli import run_cmd


class FakeLibc:
    """A libc whose mallopt records what it was asked and answers like glibc's (1: done)."""

    def __init__(self, answer: int = 1) -> None:
        self.answer = answer
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, param: int, value: int) -> int:
        self.calls.append((param, value))
        return self.answer


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names limit_malloc_arenas loads libraries by (load_with); no MALLOC_ARENA_MAX set."""
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    return []


def load_with(monkeypatch: pytest.MonkeyPatch, names: list[str], libc: object) -> None:
    def cdll(name: str) -> object:
        names.append(name)
        if isinstance(libc, BaseException):
            raise libc
        return libc

    monkeypatch.setattr(run_cmd.ctypes, "CDLL", cdll)


def test_glibc_is_asked_for_at_most_two_arenas(monkeypatch, loaded):
    libc = FakeLibc()
    load_with(monkeypatch, loaded, libc)
    assert run_cmd.limit_malloc_arenas() is True
    assert loaded == ["libc.so.6"]
    assert libc.calls == [(-8, 2)]  # M_ARENA_MAX from glibc's malloc.h, MALLOC_ARENAS


def test_the_operators_malloc_arena_max_wins_and_libc_is_left_alone(monkeypatch, loaded):
    libc = FakeLibc()
    load_with(monkeypatch, loaded, libc)
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert run_cmd.limit_malloc_arenas() is False
    assert loaded == [] and libc.calls == []


def test_a_mallopt_that_refuses_says_so(monkeypatch, loaded):
    libc = FakeLibc(answer=0)
    load_with(monkeypatch, loaded, libc)
    assert run_cmd.limit_malloc_arenas() is False
    assert libc.calls == [(-8, 2)]


def test_without_glibc_there_is_nothing_to_do(monkeypatch, loaded):
    # macOS and musl have no libc.so.6 (OSError); a libc without mallopt (AttributeError).
    load_with(monkeypatch, loaded, OSError("libc.so.6: cannot open shared object file"))
    assert run_cmd.limit_malloc_arenas() is False
    load_with(monkeypatch, loaded, object())
    assert run_cmd.limit_malloc_arenas() is False
    assert loaded == ["libc.so.6", "libc.so.6"]
