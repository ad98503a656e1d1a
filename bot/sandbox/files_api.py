"""The stand-in's file uploads, as Slack does them (``files_upload_v2``): a URL from
``files.getUploadURLExternal``, a POST of the bytes to it, then
``files.completeUploadExternal`` shares the file in a channel or thread."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.sandbox.records import Message, Records

Answer = dict[str, Any]


@dataclass
class File:
    id: str
    name: str
    length: int
    content: bytes | None = None
    """What was POSTed to the upload URL (None: nothing yet)."""
    title: str | None = None


class FileMethods(Records):
    def upload_url(self, file_id: str) -> str:
        raise NotImplementedError  # the server knows its own address

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> Answer:
        name, length = str(args.get("filename") or ""), str(args.get("length") or "")
        if not name or not length.isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{len(self.files) + 1:09d}"
        self.files[file_id] = File(file_id, name, int(length))
        return {"file_id": file_id, "upload_url": self.upload_url(file_id)}

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """The bytes POSTed to an upload URL; False for a URL Slack never gave."""
        found = self.files.get(file_id)
        if found is None:
            return False
        found.content = content
        return True

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> Answer:
        try:
            wanted = json.loads(str(args.get("files") or "[]"))
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
        found = [self.files.get(str(f.get("id"))) for f in wanted if isinstance(f, dict)]
        if not found or None in found:
            return {"ok": False, "error": "file_not_found"}
        files = [f for f in found if f is not None]
        if any(f.content is None or len(f.content) != f.length for f in files):
            return {"ok": False, "error": "file_upload_failed"}
        for f, asked in zip(files, wanted, strict=True):
            f.title = asked.get("title") or f.name
        shared = [{"id": f.id, "name": f.name, "title": f.title} for f in files]
        channel = args.get("channel_id")
        if channel:
            message = Message(str(channel), self.next_ts(), str(args.get("initial_comment")
                                                                or ""), [],
                              args.get("thread_ts"), None)
            message.files = shared
            self.messages[(message.channel, message.ts)] = message
        return {"files": shared}
