"""The sandbox's mail server: a real SMTP server on loopback (aiosmtpd) that keeps what the
desk sends, so the head of support's breach email and the desk's answers to a client who
wrote by email show up on the page."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP

_IDS = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Mail:
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str
    at: float
    message_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()

    @property
    def thread(self) -> str:
        """The Message-ID of the email that began its thread, as mail clients group them."""
        return (self.references or (self.in_reply_to or self.message_id,))[0]

    def as_json(self) -> dict[str, Any]:
        return {"from": self.sender, "to": list(self.to), "subject": self.subject,
                "body": self.body, "at": self.at, "id": self.message_id,
                "thread": self.thread}


def read_mail(raw: bytes, to: tuple[str, ...], at: float, sender: str = "") -> Mail:
    """An email's bytes as the page shows it (``sender``: the envelope's, without From)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("plain", "html"))
    first = _IDS.findall(str(message.get("Message-ID", "")))
    replied = _IDS.findall(str(message.get("In-Reply-To", "")))
    return Mail(str(message.get("From", sender)), to, str(message.get("Subject", "")),
                part.get_content() if part is not None else "", at,
                first[0] if first else "", replied[0] if replied else "",
                tuple(_IDS.findall(str(message.get("References", "")))))


@dataclass
class Inbox:
    """Every email received, in order; watchers are told of each."""

    mails: list[Mail] = field(default_factory=list)
    watchers: list[Callable[[], None]] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails.append(read_mail(envelope.content, tuple(envelope.rcpt_tos), time.time(),
                                    envelope.mail_from))
        for watcher in self.watchers:
            watcher()
        return "250 OK"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.to]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="inbox.sandbox"), "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
