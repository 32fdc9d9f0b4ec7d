"""A run at a faked date (scripts/test --at) really lives there, in this process and children."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

WHEN = os.environ.get("SOPBOT_TEST_NOW")
needs_travel = pytest.mark.skipif(not WHEN, reason="only under scripts/test --at WHEN")


def _started() -> datetime:
    return datetime.fromisoformat(WHEN.replace("Z", "+00:00")).astimezone(UTC)


@needs_travel
def test_this_process_lives_at_the_faked_date():
    # Ticking from the start: the whole suite takes minutes, never a day.
    assert _started() <= datetime.now(UTC) <= _started() + timedelta(hours=3)


@needs_travel
def test_a_child_python_process_lives_at_the_same_faked_time():
    code = "import time; print(time.time())"
    before = datetime.now(UTC).timestamp()
    child = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout)  # fmt: skip
    # Not back at the start: a child that started at WHEN again would lag behind its parent.
    assert before <= child <= datetime.now(UTC).timestamp()
