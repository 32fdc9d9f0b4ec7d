"""LOG_FORMAT=json: one object per line, with the request's context and the error ID."""

from __future__ import annotations

import json
import logging

from bot.logs import ContextExecutor, JsonFormatter, request_context


def record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("bot.test", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_line_is_one_json_object_with_time_level_logger_and_message():
    line = JsonFormatter().format(record("outbox %s failed", "training:1"))
    entry = json.loads(line)
    assert "\n" not in line
    assert set(entry) == {"time", "level", "logger", "message"}
    assert (entry["level"], entry["logger"], entry["message"]) == (
        "WARNING",
        "bot.test",
        "outbox training:1 failed",
    )
    assert entry["time"].endswith("+00:00")


def test_lines_logged_for_a_request_carry_its_id_and_kind_even_on_another_thread():
    formatter = JsonFormatter()
    with request_context(request_id="abc123", kind="command"):
        inside = json.loads(formatter.format(record("in the request")))
        with ContextExecutor(1) as pool:
            later = pool.submit(lambda: json.loads(formatter.format(record("after ack"))))
            on_thread = later.result()
    outside = json.loads(formatter.format(record("between requests")))
    assert (inside["request_id"], inside["kind"]) == ("abc123", "command")
    assert (on_thread["request_id"], on_thread["kind"]) == ("abc123", "command")
    assert "request_id" not in outside and "kind" not in outside


def test_an_error_line_carries_its_id_and_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        failed = logging.LogRecord(
            "bot.x", logging.ERROR, __file__, 1, "error %s", ("e1",), sys.exc_info()
        )
    failed.error_id = "e1"
    entry = json.loads(JsonFormatter().format(failed))
    assert entry["error_id"] == "e1"
    assert "RuntimeError: boom" in entry["exception"]
