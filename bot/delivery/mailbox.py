"""The reader of the support mailbox, in the worker: one reader at a time across workers
(a lease in Redis, as the sweep's), IDLE to hear of new mail at once and a poll as
fallback; each unseen email taken (``EmailIntake``) and marked seen only after what it does
is in Redis. A mailbox that is down or refuses the login is retried with backoff, logged
and counted in ``/metrics``: nothing is lost, since nothing is marked seen before it is
taken.

The reader reads a ``SupportMailbox``, opened anew after each failure: the IMAP one
(``bot.adapters.imap``) in production, one in memory in the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from redis.exceptions import RedisError

from bot.adapters.imap import MailboxError, opened
from bot.adapters.mail_read import read_email
from bot.adapters.metrics import EMAILS_READ, MAILBOX_ERRORS, MAILBOX_UP
from bot.adapters.store import Store
from bot.domain.mailbox import Fetched, MailboxAddress
from bot.domain.tickets import TicketError
from bot.services.email_intake import EmailIntake

log = logging.getLogger(__name__)

LEASE = "mailbox:reader"
LEASE_SECONDS = 30.0
"""How long the reader's hold on the mailbox lasts without renewal (``JOB_LEASE_SECONDS``):
should its worker die, another reads the mailbox after this."""
POLL_SECONDS = 30.0
"""The longest wait between looks at the mailbox (IDLE wakes the reader sooner)."""
BACKOFF_MAX = 300.0


class SupportMailbox(Protocol):
    """An open session on the support mailbox, as the reader uses it."""

    @property
    def secured(self) -> str:
        """How the session is protected, for the log (``TLS``, ``STARTTLS``, ...)."""
        ...

    @property
    def idles(self) -> bool:
        """Whether ``wait`` hears of new mail at once (else it only waits: a poll)."""
        ...

    async def unseen(self) -> list[int]:
        """The UIDs of the emails not marked seen, oldest first."""
        ...

    async def fetch(self, uid: int) -> Fetched | None:
        """An email, read without marking it seen (None: it is gone)."""
        ...

    async def mark_seen(self, uid: int) -> None: ...

    async def wait(self, seconds: float) -> None:
        """Return when new mail may have come, or after ``seconds``."""
        ...


@dataclass(frozen=True)
class MailboxSource:
    """Where the reader reads: ``where`` names it in logs (never a password), ``open``
    opens a session on it (closed after the block)."""

    where: str
    open: Callable[[], AbstractAsyncContextManager[SupportMailbox]]


def imap_mailbox(address: MailboxAddress) -> MailboxSource:
    """The support mailbox at ``IMAP_URL``."""
    return MailboxSource(address.where, partial(opened, address))


class MailboxReader:
    def __init__(self, source: MailboxSource, intake: EmailIntake, store: Store, *,
                 poll: float = POLL_SECONDS, lease: float = LEASE_SECONDS) -> None:
        self.source = source
        self.intake = intake
        self.store = store
        self.poll = poll
        self.lease = lease

    async def run(self, stop: asyncio.Event) -> None:
        """Read the mailbox until ``stop``, while this worker holds the lease."""
        backoff = 1.0
        while not stop.is_set():
            try:
                held = await self.store.lock(LEASE, self.lease)
            except (RedisError, OSError) as exc:
                log.error("mailbox reader cannot reach Redis (%s)", exc)
                held = False
            if not held:
                await _pause(stop, min(self.poll, self.lease / 3))
                continue
            try:
                await self._read(stop)
                backoff = 1.0
            except (TimeoutError, MailboxError, OSError) as exc:
                MAILBOX_UP.set(0)
                MAILBOX_ERRORS.inc()
                log.error("support mailbox: %s; trying again in %.0f s", exc or
                          type(exc).__name__, backoff)
                await _pause(stop, backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            except RedisError as exc:
                log.error("support mailbox: an email could not be taken (%s); it stays "
                          "unseen and is read again in %.0f s", exc, backoff)
                await _pause(stop, backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await self.store.unlock(LEASE)
        MAILBOX_UP.set(0)

    async def _read(self, stop: asyncio.Event) -> None:
        async with self.source.open() as box:
            MAILBOX_UP.set(1)
            log.info("reading the support mailbox %s (%s; %s)", self.source.where, box.secured,
                     "IDLE" if box.idles else f"polled every {self.poll:.0f} s")
            while not stop.is_set():
                await self._drain(box)
                await self.store.extend_lock(LEASE, self.lease)
                waiting = asyncio.ensure_future(box.wait(min(self.poll, self.lease / 3)))
                stopping = asyncio.ensure_future(stop.wait())
                await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not waiting.done():
                    waiting.cancel()
                    with contextlib.suppress(asyncio.CancelledError, MailboxError):
                        await waiting
                    return
                waiting.result()

    async def _drain(self, box: SupportMailbox) -> None:
        for uid in await box.unseen():
            fetched = await box.fetch(uid)
            if fetched is None:
                continue
            mail = read_email(fetched.raw, fetched.received_at)
            try:
                taken = await self.intake.take(mail)
            except TicketError as exc:
                EMAILS_READ.labels("failed").inc()
                log.error("email %s from %s could not be taken (%s); it stays unseen and is "
                          "read again", mail.message_id, mail.sender, exc)
                continue
            EMAILS_READ.labels(taken.what).inc()
            # Only now: its ticket or message is in Redis. A crash before this reads it
            # again, and its Message-ID makes it the same ticket.
            await box.mark_seen(uid)
            await self.store.extend_lock(LEASE, self.lease)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
