"""How a long-running sopbot process gives glibc's malloc back what it no longer uses."""

from __future__ import annotations

import ctypes
import functools
import os

# glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps
# what was freed in each: with the listener, job and dispatcher threads that left `sopbot run`
# ~45 MB larger at rest (bench/scale.py, 1,000 SOPs: 197 -> 153 MB). Two is the usual setting
# for servers (MALLOC_ARENA_MAX=2); a MALLOC_ARENA_MAX in the environment wins.
MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # glibc's malloc.h


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """glibc, or None where the C library is another (macOS, musl)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        # glibc has both; another libc by that name may lack them.
        libc.mallopt, libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def limit_malloc_arenas() -> bool:
    """Ask glibc for at most MALLOC_ARENAS arenas, before threads start; False if not glibc."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    libc = _glibc()
    return libc is not None and bool(libc.mallopt(_M_ARENA_MAX, MALLOC_ARENAS))


def release_freed_memory() -> bool:
    """Hand the free pages of malloc's heaps back to the system; False if not glibc.

    A job's peak (the daily audience pass over 1,000 SOPs and 50,000 people reaches ~310 MB)
    is freed when it ends, but glibc keeps the pages between live blocks: without this the
    process stayed ~50 MB larger at rest (bench/scale.py, PostgreSQL: 236 -> 188 MB).
    """
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)  # 1 if it gave pages back, 0 if there were none: both are fine
    return True
