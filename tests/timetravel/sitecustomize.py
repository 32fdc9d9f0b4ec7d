"""Starts every Python process of a test run at SOPBOT_TEST_NOW, when set (see scripts/test).

Put on PYTHONPATH by `scripts/test --at WHEN`, so pytest and every `sopbot` it starts as a
child process live at the same faked time, ticking on from there. The first process turns WHEN
into a shift from the real clock and leaves it in SOPBOT_TEST_SHIFT for its children: a child
started minutes later must not start again at WHEN, behind its parent. Only the wall clock
moves: monotonic clocks (timeouts, polling) stay real.
"""

import os

if os.environ.get("SOPBOT_TEST_NOW"):
    import time
    from datetime import datetime

    import time_machine

    if "SOPBOT_TEST_SHIFT" not in os.environ:
        when = datetime.fromisoformat(os.environ["SOPBOT_TEST_NOW"].replace("Z", "+00:00"))
        os.environ["SOPBOT_TEST_SHIFT"] = repr(when.timestamp() - time.time())
    time_machine.travel(time.time() + float(os.environ["SOPBOT_TEST_SHIFT"]), tick=True).start()
    time.time()  # time-machine ticks from the first reading, not from start(): read it now
