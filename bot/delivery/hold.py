"""A leased job's side of the queue: its calls one at a time, the backoff between its
attempts, and the ticket its id names for a log line."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.exceptions import RedisError

from bot.adapters.connection import redis_unreachable
from bot.adapters.finish import Closing, Finished
from bot.adapters.queue import JobQueue, Leased
from bot.domain.tickets import ticket_key

T = TypeVar("T")

log = logging.getLogger(__name__)

REDIS_AGAIN = 0.1
"""Seconds between a job's tries to write to Redis while Redis does not answer."""


def ticket_of_id(job_id: str) -> str:
    """The ticket a job's id names (``dm:1001:...`` -> ``T-1001``), for a log line."""
    number = next((part for part in job_id.split(":") if part.isdigit()), None)
    return ticket_key(int(number)) if number else "-"


class Hold:
    """A leased job's calls to the queue, one at a time: a renewal changes the lease's
    token, so an ack or retry must not race it.

    The job's outcome (ack, retry) and what follows from it are written as soon as Redis
    answers: a Redis that restarts while the job runs costs the job that time, not its
    lease."""

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
        async def write() -> bool:
            async with self._lock:
                return await self.queue.ack(self.leased)

        return await self.persist(write)

    async def closing(self, write: Callable[[Closing | None], Awaitable[Finished]]
                      ) -> Finished:
        """The job's last write, which acks it in the same step (as an ack: under the lock,
        written as soon as Redis answers; written again, it changes nothing)."""
        async def locked() -> Finished:
            async with self._lock:
                return await write(Closing(self.leased, self.queue.lease_ms))

        done = await self.persist(locked)
        if done.acked is not None:
            self.acked = done.acked
        return done

    async def retry(self, delay: float, error: str, **options: Any) -> str:
        async def write() -> str:
            async with self._lock:
                return await self.queue.retry(self.leased, delay, error, **options)

        return await self.persist(write)

    async def keep(self, work: asyncio.Future[None], lost: asyncio.Event) -> None:
        """Renew the lease every third of it while the job runs; stop the job if it is lost."""
        while not work.done():
            await asyncio.sleep(self.queue.lease_ms / 3000)
            try:
                if not await self.renew():
                    lost.set()
                    work.cancel()
                    return
            except (RedisError, OSError) as exc:
                log.warning("job %s: cannot renew its lease (%s)", self.leased.id, exc)

    async def still_held(self) -> bool:
        """Once Redis answers: whether this worker still holds the job (its lease renewed)."""
        return await self.persist(self.renew)

    async def persist(self, write: Callable[[], Awaitable[T]]) -> T:
        """``write`` to Redis; while Redis does not answer, again every ``REDIS_AGAIN`` s for
        as long as a lease lasts (past it, the job is another worker's to run)."""
        give_up = time.monotonic() + self.queue.lease_ms / 1000
        while True:
            try:
                return await write()
            except Exception as exc:
                if not redis_unreachable(exc) or time.monotonic() >= give_up:
                    raise
            await asyncio.sleep(REDIS_AGAIN)


def backoff(attempt: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds before attempt ``attempt + 1``: 1, 2, 4, ... up to ``cap``."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))
