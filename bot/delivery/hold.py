"""A leased job's side of the queue: its calls one at a time, the backoff between its
attempts, and the ticket its id names for a log line."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.adapters.connection import redis_unreachable
from bot.adapters.queue import JobQueue, Leased
from bot.domain.tickets import ticket_key

T = TypeVar("T")

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

    async def renew(self) -> bool:
        async with self._lock:
            return await self.queue.renew(self.leased)

    async def ack(self) -> bool:
        async def write() -> bool:
            async with self._lock:
                return await self.queue.ack(self.leased)

        return await self.persist(write)

    async def retry(self, delay: float, error: str, **options: Any) -> str:
        async def write() -> str:
            async with self._lock:
                return await self.queue.retry(self.leased, delay, error, **options)

        return await self.persist(write)

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
