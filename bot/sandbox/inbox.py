"""The sandbox's mail server: a real SMTP server on loopback (aiosmtpd) that keeps what the
desk sends, so the head of support's breach email shows up on the page."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP


@dataclass(frozen=True)
class Mail:
    sender: str
    to: tuple[str, ...]
    subject: str
    body: str
    at: float

    def as_json(self) -> dict[str, Any]:
        return {"from": self.sender, "to": list(self.to), "subject": self.subject,
                "body": self.body, "at": self.at}


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


@dataclass
class Inbox:
    """Every email received, in order; watchers are told of each."""

    mails: list[Mail] = field(default_factory=list)
    watchers: list[Callable[[], None]] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.mails.append(Mail(str(message.get("From", envelope.mail_from)),
                               tuple(envelope.rcpt_tos), str(message.get("Subject", "")),
                               _body(message), time.time()))
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
