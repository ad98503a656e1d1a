"""The support address's mailbox in the sandbox: in memory, where the clients' emails land
as RFC 5322 bytes (made with the standard library's email package, as a mail program
makes them). The desk's own ``MailboxReader`` reads it as it reads the IMAP mailbox in
production (``bot.delivery.mailbox.SupportMailbox``); a new email wakes its wait at once.

A client persona writes from her own address to the support address, a new email or a
reply to one of the desk's emails to her (``In-Reply-To`` and ``References`` set, so it
lands in its ticket's thread). Every field is checked before anything is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

from bot.delivery.mailbox import MailboxSource
from bot.domain.mailbox import Fetched
from bot.sandbox.inbox import Inbox, Mail, read_mail
from bot.sandbox.people import NotAllowed
from bot.sandbox.workspace import LEAD, SUPPORT_EMAIL, Persona

SUBJECT_MAX = 300
TEXT_MAX = 20_000


@dataclass
class MemoryMailbox:
    """The support mailbox: each email by its UID, the UIDs marked seen; watchers are told
    of each new email."""

    address: str = SUPPORT_EMAIL
    emails: dict[int, Fetched] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)
    watchers: list[Callable[[], None]] = field(default_factory=list)
    secured: str = "in memory: no network"
    idles: bool = True
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    # -- what the desk's reader uses (``SupportMailbox``) --------------------------------

    @property
    def source(self) -> MailboxSource:
        return MailboxSource(self.address, self.opened)

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[MemoryMailbox]:
        yield self

    async def unseen(self) -> list[int]:
        return sorted(uid for uid in self.emails if uid not in self.seen)

    async def fetch(self, uid: int) -> Fetched | None:
        return self.emails.get(uid)

    async def mark_seen(self, uid: int) -> None:
        self.seen.add(uid)

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._arrived.wait(), seconds)
        self._arrived.clear()

    # -- what arrives --------------------------------------------------------------------

    def deliver(self, raw: bytes) -> int:
        """An email reaches the mailbox: its UID."""
        uid = max(self.emails, default=0) + 1
        self.emails[uid] = Fetched(uid, raw, time.time())
        self._arrived.set()
        for watcher in self.watchers:
            watcher()
        return uid

    def sent_by(self, address: str) -> list[Mail]:
        """The emails from ``address``, as its sender's mail program shows them."""
        found = [read_mail(e.raw, (self.address,), e.received_at) for e in self.emails.values()]
        return [m for m in found if parseaddr(m.sender)[1].lower() == address.lower()]


def _field(body: dict[str, Any], name: str, what: str, most: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"write {what} first")
    if len(value) > most:
        raise ValueError(f"{what} is {len(value)} characters: at most {most}")
    return value


def email_written(who: Persona, body: dict[str, Any], inbox: Inbox, to: str) -> bytes:
    """What ``who`` writes to the support address ``to`` (``body``: the page's ``subject``,
    ``text``, and ``in_reply_to``: the Message-ID of the desk's email she answers), as the
    bytes her mail program sends; nothing is kept."""
    sender = body.get("from", who.email)
    if sender != who.email:
        raise NotAllowed(f"{who.name} writes from her own address, {who.email}")
    if body.get("to", to) != to:
        raise ValueError(f"the sandbox's email goes to the support address, {to}")
    subject = _field(body, "subject", "a subject", SUBJECT_MAX)
    if "\n" in subject or "\r" in subject:
        raise ValueError("a subject is one line")
    text = _field(body, "text", "a message", TEXT_MAX)
    replying = body.get("in_reply_to")
    answered = None
    if replying is not None and replying != "":
        if not isinstance(replying, str):
            raise ValueError("in_reply_to must be an email's Message-ID")
        answered = next((m for m in inbox.to(who.email) if m.message_id == replying), None)
        if answered is None:
            raise LookupError(f"{who.name} has no email {replying} to reply to")
    message = EmailMessage()
    message["From"] = formataddr((who.name, who.email))
    message["To"] = to
    message["Subject"] = subject.strip()
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=who.email.rpartition("@")[2])
    if answered is not None:
        message["In-Reply-To"] = answered.message_id
        message["References"] = " ".join((*answered.references, answered.message_id))
    message.set_content(text)
    return message.as_bytes()


@dataclass
class Mailboxes:
    """Everyone's email in the sandbox: what the desk sends (the SMTP inbox) and what the
    clients send (the support mailbox)."""

    inbox: Inbox
    mailbox: MemoryMailbox

    def may_write(self, who: Persona) -> bool:
        """Whether ``who`` writes to the support address: a client, from her own address."""
        return who.external and bool(who.email)

    def of(self, who: Persona) -> list[Mail] | None:
        """What ``who``'s mail program shows, oldest first: the emails to them, and those
        they sent to the support address. None: ``who`` has no mailbox in the sandbox."""
        if self.may_write(who):
            return sorted([*self.inbox.to(who.email), *self.mailbox.sent_by(who.email)],
                          key=lambda m: m.at)
        return self.inbox.to(who.email) if who is LEAD else None

    def write(self, who: Persona, body: dict[str, Any]) -> None:
        """``who`` sends an email to the support address (see ``email_written``)."""
        if not self.may_write(who):
            raise NotAllowed(f"{who.name} works at the desk: only a client writes to "
                             f"{self.mailbox.address}")
        self.mailbox.deliver(email_written(who, body, self.inbox, self.mailbox.address))
