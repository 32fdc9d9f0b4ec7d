"""File upload v2: files.getUploadURLExternal, the byte POST, files.completeUploadExternal."""

from __future__ import annotations

import json

from bot.slacksim.api_common import (
    ApiRequest,
    Handler,
    SlackError,
    post_target,
    thread_ts_arg,
)
from bot.slacksim.model import Message, UploadedFile
from bot.slacksim.workspace import Workspace

MAX_FILE_BYTES = 1024 * 1024 * 1024


def get_upload_url(req: ApiRequest) -> dict:
    """files.getUploadURLExternal: reserve a file ID and an upload URL on this server."""
    ws = req.ws
    with ws.lock:
        filename = req.require("filename")
        length = req.integer("length", -1)
        if length < 0:
            raise SlackError("invalid_arguments", ["[ERROR] missing required field: length"])
        if length > MAX_FILE_BYTES:
            raise SlackError("file_too_large")
        upload = UploadedFile(
            id=ws.new_id("F"),
            filename=str(filename),
            length=length,
            user=ws.bot_user_id,
            created=int(ws.now()),
            alt_txt=req.get("alt_txt"),
        )
        ws.files[upload.id] = upload
        return {"upload_url": f"{req.base_url}upload/v1/{upload.id}", "file_id": upload.id}


def receive_upload(ws: Workspace, file_id: str, data: bytes) -> tuple[int, str]:
    """The POST of bytes to an upload URL: (HTTP status, plain-text body)."""
    with ws.lock:
        upload = ws.files.get(file_id)
        if upload is None or upload.completed:
            return 404, "file_not_found"
        if len(data) != upload.length:
            # Slack's behaviour here is undocumented; failing loudly catches a wrong `length`.
            return 400, f"length mismatch: announced {upload.length}, received {len(data)}"
        upload.content = data
        ws.notify()
        return 200, f"OK - {len(data)}"


def complete_upload(req: ApiRequest) -> dict:
    """files.completeUploadExternal: finish the uploads and share them in one message."""
    ws = req.ws
    with ws.lock:
        raw = req.require("files")
        try:
            entries = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            raise SlackError("invalid_arguments", ["[ERROR] invalid json: files"]) from None
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments", ["[ERROR] must provide at least 1 items: files"])
        uploads = []
        for entry in entries:
            upload = ws.files.get(entry.get("id")) if isinstance(entry, dict) else None
            if upload is None or upload.completed or upload.content is None:
                raise SlackError("file_not_found")
            uploads.append((upload, entry))
        targets = []
        channel_ids = [req.get("channel_id")] if req.get("channel_id") else []
        channel_ids += [c for c in str(req.get("channels", "")).split(",") if c]
        for channel_id in channel_ids:
            targets.append(post_target(req, channel_id, user_id_opens_dm=False))
        thread_ts = thread_ts_arg(req)
        for upload, entry in uploads:
            upload.title = entry.get("title") or upload.filename
            upload.completed = True
        shown = [u.to_api(team_id=ws.team_id, base_url=req.base_url) for u, _ in uploads]
        for channel in targets:
            ws.add_message(
                Message(
                    ts=ws.next_ts(),
                    channel=channel.id,
                    text=req.get("initial_comment", ""),
                    user=ws.bot_user_id,
                    team=ws.team_id,
                    files=shown,
                    thread_ts=thread_ts,
                )
            )
        return {"files": [{"id": u.id, "title": u.title} for u, _ in uploads]}


METHODS: dict[str, Handler] = {
    "files.getUploadURLExternal": get_upload_url,
    "files.completeUploadExternal": complete_upload,
}
