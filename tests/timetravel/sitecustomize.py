"""Starts every Python process of a test run at SOPBOT_TEST_NOW, when set (see scripts/test).

Put on PYTHONPATH by `scripts/test --at WHEN`, so pytest and every `sopbot` it starts as a
child process live at the same faked date, with time ticking on from there. Only the wall
clock moves: monotonic clocks (timeouts, polling) stay real.
"""

import os

_when = os.environ.get("SOPBOT_TEST_NOW")
if _when:
    import time_machine

    time_machine.travel(_when, tick=True).start()
