"""Uploads each digest's trend chart into its thread, once, after the digest message is sent.

The v2 upload is three calls: files.getUploadURLExternal reserves a file, a POST sends the
bytes, files.completeUploadExternal shares it in the thread. The reserved file is stored
before the bytes go out, so a retry after a crash or a lost answer re-sends that same file:
Slack refuses bytes for a file already shared (404), which tells us the earlier try
succeeded. A second chart would need a second reserved file, and none is ever asked for
while one is stored.
"""

from __future__ import annotations

import logging
import os
import socket
import urllib.error
import urllib.request
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.db import digest as store
from bot.db import outbox
from bot.db.outbox import FAILED, OutboxMessage
from bot.jobs.dispatcher import is_transient
from bot.runtime import Runtime
from bot.services import chart
from bot.services.digest import ChartSeries

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 5
UPLOAD_TIMEOUT = 30


class AlreadyShared(Exception):
    """The reserved file was shared by an earlier attempt."""


def _post(url: str, data: bytes) -> None:
    """Send the bytes to the upload URL; AlreadyShared when Slack says the file is done."""
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/octet-stream")
    try:
        with urllib.request.urlopen(request, timeout=UPLOAD_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise AlreadyShared from None
        raise


def _outbox_state(session, key: str | None) -> str | None:
    if key is None:
        return None
    return session.scalar(select(OutboxMessage.state).where(OutboxMessage.key == key))


def _share(runtime: Runtime, client: WebClient, row: store.Digest, where: tuple[str, str]) -> str:
    """Upload the chart into the digest's thread; the shared file's ID."""
    series = ChartSeries.from_json(row.chart or {})
    png = chart.render_png(series)
    if png is None:
        raise RuntimeError("matplotlib went missing")
    name = chart.filename(series)
    file_id, url = row.chart_file_id, row.chart_upload_url
    if file_id is None or url is None:
        reserved = client.files_getUploadURLExternal(
            filename=name, length=len(png), alt_txt=chart.TITLE
        )
        file_id, url = str(reserved["file_id"]), str(reserved["upload_url"])
        with runtime.database.session() as session:
            store.reserve_chart_file(session, digest_id=row.id, file_id=file_id, upload_url=url)
    try:
        _post(url, png)
    except AlreadyShared:
        return file_id
    channel, ts = where
    client.files_completeUploadExternal(
        files=[{"id": file_id, "title": chart.TITLE}], channel_id=channel, thread_ts=ts
    )
    return file_id


def upload_charts(runtime: Runtime, *, client: WebClient) -> int:
    """Upload every chart whose digest message is out; return how many were uploaded."""
    now = runtime.clock()
    token = f"{socket.gethostname()[:40]}:{os.getpid()}"
    with runtime.database.session() as session:
        waiting = store.charts_waiting(session, now=now)
    uploaded = 0
    for row in waiting:
        with runtime.database.session() as session:
            if _outbox_state(session, row.message_key) == FAILED:
                store.finish_chart(
                    session, digest_id=row.id, state=store.CHART_FAILED, now=now,
                    error="the digest message was not sent",
                )  # fmt: skip
                continue
            where = outbox.sent_message(session, key=row.message_key or "")
            if where is None:
                continue  # the dispatcher has not sent the digest yet
            if not chart.available():
                store.finish_chart(session, digest_id=row.id, state=store.CHART_NONE, now=now)
                continue
            if not store.lease_chart(
                session, digest_id=row.id, token=token, until=now + LEASE, now=now
            ):
                continue
        try:
            file_id = _share(runtime, client, row, where)
        except (SlackApiError, OSError, RuntimeError) as exc:
            _failed(runtime, row, exc)
            continue
        with runtime.database.session() as session:
            store.finish_chart(
                session, digest_id=row.id, state=store.CHART_UPLOADED, now=now, file_id=file_id
            )
        uploaded += 1
    return uploaded


def _failed(runtime: Runtime, row: store.Digest, exc: Exception) -> None:
    """Retry a transient failure later with back-off; give up on anything else."""
    attempt = row.chart_attempts + 1
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or "")
        transient = is_transient(error, status=exc.response.status_code, attempt=attempt)
    else:
        error, transient = repr(exc), isinstance(exc, OSError)
    now = runtime.clock()
    with runtime.database.session() as session:
        if transient and attempt < MAX_ATTEMPTS:
            retry_at = now + timedelta(minutes=2**attempt)
            store.retry_chart_later(session, digest_id=row.id, at=retry_at, error=error)
            log.warning("digest chart for %s: %s; retrying at %s", row.day, error, retry_at)
        else:
            store.finish_chart(
                session, digest_id=row.id, state=store.CHART_FAILED, now=now, error=error
            )
            log.error("digest chart for %s not uploaded: %s", row.day, error)
