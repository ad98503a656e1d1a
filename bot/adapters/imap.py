"""The support mailbox over IMAP (aioimaplib): log in, list the unseen messages, read one
without marking it, mark it seen, wait for new mail with IDLE.

``imaps://user:pass@host:993/INBOX`` is TLS from the start; with ``imap://`` the desk
asks for STARTTLS (aioimaplib has the command, not the switch to TLS: the connection is
wrapped here), and without it logs in only to a loopback host, so a password never travels
in clear. The password never appears in an error or a log line: errors name the user, host
and port.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime

from aioimaplib import aioimaplib

from bot.domain.mailbox import Fetched, MailboxAddress

TIMEOUT = 20.0


class MailboxError(Exception):
    """The mailbox cannot be reached or refused a command (the message says which, never
    the password)."""


_FETCH = re.compile(rb'UID (\d+).*?INTERNALDATE "([^"]+)"', re.DOTALL)
_INTERNALDATE = "%d-%b-%Y %H:%M:%S %z"


class Mailbox:
    """One logged-in session on the mailbox's folder."""

    def __init__(self, client: aioimaplib.IMAP4, address: MailboxAddress, exists: int,
                 uidvalidity: str, secured: str) -> None:
        self.client = client
        self.secured = secured
        """How the session is protected: ``TLS``, ``STARTTLS`` or ``no TLS (loopback)``."""
        self.address = address
        self.exists = exists
        """Messages in the folder when it was selected."""
        self.uidvalidity = uidvalidity
        self.idles = client.has_capability("IDLE")

    async def _ok(self, what: str, command: str, *args: str) -> list[bytes]:
        call = (self.client.uid_search(*args, charset=None) if command == "search"
                else self.client.uid(command, *args))
        try:
            response = await asyncio.wait_for(call, TIMEOUT)
        except (aioimaplib.Abort, aioimaplib.CommandTimeout) as exc:
            raise MailboxError(f"{self.address.where}: {what}: {exc}") from None
        if response.result != "OK":
            raise MailboxError(f"{self.address.where}: {what} refused: {response.lines[-1]!r}")
        return [bytes(line) for line in response.lines]

    async def unseen(self) -> list[int]:
        lines = await self._ok("search", "search", "UNSEEN")
        return sorted(int(n) for n in lines[0].split()) if lines and lines[0].strip() and \
            lines[0].split()[0].isdigit() else []

    async def fetch(self, uid: int) -> Fetched | None:
        """The message's bytes, read without marking it seen (None: it is gone)."""
        lines = await self._ok("fetch", "fetch", str(uid), "(INTERNALDATE BODY.PEEK[])")
        for k, line in enumerate(lines[:-1]):
            found = _FETCH.search(line)
            if found and int(found.group(1)) == uid and k + 1 < len(lines):
                when = _received(found.group(2).decode())
                return Fetched(uid, lines[k + 1], when)
        return None

    async def mark_seen(self, uid: int) -> None:
        await self._ok("mark seen", "store", str(uid), "+FLAGS.SILENT", r"(\Seen)")

    async def wait(self, seconds: float) -> None:
        """Wait up to ``seconds`` for the server to say something changed (IDLE), or just
        wait when the server has no IDLE (the poll)."""
        if not self.idles:
            await asyncio.sleep(seconds)
            return
        idle = await self.client.idle_start(timeout=seconds + TIMEOUT)
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await self.client.wait_server_push(timeout=seconds)
        finally:
            if self.client.has_pending_idle():
                self.client.idle_done()
            try:
                await asyncio.wait_for(idle, TIMEOUT)
            except (TimeoutError, aioimaplib.Abort) as exc:
                raise MailboxError(f"{self.address.where}: IDLE did not end: {exc}") from None


def _received(text: str) -> float:
    try:
        from datetime import datetime

        return datetime.strptime(text, _INTERNALDATE).timestamp()
    except ValueError:
        return parsedate_to_datetime(text).timestamp()


async def _greeted(client: aioimaplib.IMAP4, address: MailboxAddress) -> None:
    """Wait for the server's greeting; a connection refused or closed first fails at once."""
    lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def closed(_: Exception | None) -> None:
        if not lost.done():
            lost.set_result(None)

    client.protocol.conn_lost_cb = closed
    hello = asyncio.ensure_future(client.wait_hello_from_server())
    try:
        await asyncio.wait({hello, lost}, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if not hello.done():
            raise MailboxError(f"{address.where}: cannot connect: " + (
                "the connection was closed before the greeting" if lost.done()
                else f"no greeting within {TIMEOUT:.0f} s"))
        hello.result()
    except (OSError, aioimaplib.Abort) as exc:
        raise MailboxError(f"{address.where}: cannot connect: "
                           f"{exc or type(exc).__name__}") from None
    finally:
        hello.cancel()


async def _secured(client: aioimaplib.IMAP4, address: MailboxAddress) -> str:
    """``imap://``: STARTTLS when the server offers it; without it, only on loopback (the
    password is never sent in clear to another host)."""
    protocol = client.protocol
    await asyncio.wait_for(protocol.capability(), TIMEOUT)
    if not client.has_capability("STARTTLS"):
        if address.loopback:
            return "no TLS (loopback)"
        raise MailboxError(f"{address.where} offers no STARTTLS: the password is not sent in "
                           "clear text; use imaps:// or a server that offers STARTTLS")
    try:
        response = await asyncio.wait_for(protocol.execute(aioimaplib.Command(
            "STARTTLS", protocol.new_tag(), loop=asyncio.get_running_loop())), TIMEOUT)
        if response.result != "OK":
            raise MailboxError(f"{address.where}: STARTTLS refused ({response.lines[-1]!r})")
        protocol.transport = await asyncio.get_running_loop().start_tls(
            protocol.transport, protocol, ssl.create_default_context(),
            server_hostname=address.host, ssl_handshake_timeout=TIMEOUT)
        await asyncio.wait_for(protocol.capability(), TIMEOUT)  # asked again, under TLS
    except (ssl.SSLError, ConnectionError) as exc:
        raise MailboxError(f"{address.where}: STARTTLS failed: {exc}") from None
    return "STARTTLS"


@contextlib.asynccontextmanager
async def opened(address: MailboxAddress) -> AsyncIterator[Mailbox]:
    """A session logged in with the folder selected, logged out after the block."""
    client: aioimaplib.IMAP4
    if address.tls:
        client = aioimaplib.IMAP4_SSL(address.host, address.port, timeout=TIMEOUT,
                                      ssl_context=ssl.create_default_context())
    else:
        client = aioimaplib.IMAP4(address.host, address.port, timeout=TIMEOUT)
    try:
        await _greeted(client, address)
        secured = "TLS" if address.tls else await _secured(client, address)
        login = await asyncio.wait_for(client.login(address.user, address.password), TIMEOUT)
        if login.result != "OK":
            raise MailboxError(f"{address.where}: login refused ({login.lines[-1]!r}); check "
                               "the user and password in IMAP_URL")
        selected = await asyncio.wait_for(client.select(address.folder), TIMEOUT)
        if selected.result != "OK":
            raise MailboxError(f"{address.where}: no folder {address.folder!r}")
        exists, validity = 0, ""
        for line in selected.lines:
            text = bytes(line).decode(errors="replace")
            if text.endswith(" EXISTS"):
                exists = int(text.split()[0])
            elif "UIDVALIDITY" in text:
                validity = text.split("UIDVALIDITY", 1)[1].split("]")[0].strip()
        yield Mailbox(client, address, exists, validity, secured)
    finally:
        with contextlib.suppress(OSError, asyncio.TimeoutError, aioimaplib.Abort,
                                 aioimaplib.CommandTimeout):
            await asyncio.wait_for(client.logout(), 5)
