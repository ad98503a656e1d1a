"""A leased job's side of the queue: its calls one at a time, the backoff between its
attempts, and the ticket its id names for a log line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from bot.adapters.finish import Closing, Finished
from bot.adapters.queue import JobQueue, Leased
from bot.domain.tickets import ticket_key


def ticket_of_id(job_id: str) -> str:
    """The ticket a job's id names (``dm:1001:...`` -> ``T-1001``), for a log line."""
    number = next((part for part in job_id.split(":") if part.isdigit()), None)
    return ticket_key(int(number)) if number else "-"


class Hold:
    """A leased job's calls to the queue, one at a time: a renewal changes the lease's
    token, so an ack or retry must not race it."""

    def __init__(self, queue: JobQueue, leased: Leased) -> None:
        self.queue, self.leased = queue, leased
        self._lock = asyncio.Lock()
        self.acked: bool | None = None
        """Whether the job's last write acked it (False: the lease was lost); None: it
        did not, the job is acked when it ends."""

    async def renew(self) -> bool:
        async with self._lock:
            return await self.queue.renew(self.leased)

    async def ack(self) -> bool:
        async with self._lock:
            return await self.queue.ack(self.leased)

    async def closing(self, write: Callable[[Closing | None], Awaitable[Finished]]
                      ) -> Finished:
        """The job's last write, which acks it in the same step (as an ack: under the lock)."""
        async with self._lock:
            done = await write(Closing(self.leased, self.queue.lease_ms))
        if done.acked is not None:
            self.acked = done.acked
        return done

    async def retry(self, delay: float, error: str, **options: Any) -> str:
        async with self._lock:
            return await self.queue.retry(self.leased, delay, error, **options)


def backoff(attempt: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds before attempt ``attempt + 1``: 1, 2, 4, ... up to ``cap``."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))
