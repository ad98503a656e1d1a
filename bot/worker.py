"""The loop that fires due timers and runs the Slack jobs: any number of workers, one Redis.

A worker leases a batch of due jobs, runs them concurrently, and acks each one
when done. Slack's 429 pushes the job back by Retry-After (no worker sleeps on
it); 5xx and connection errors back off exponentially; after too many attempts a
job goes to the dead letters, logged with its ticket number.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable

from pydantic import ValidationError
from redis.exceptions import RedisError

from bot.desk import Desk, JobPayload, NotDue
from bot.notify import Retryable, Undeliverable
from bot.tickets import ticket_key
from bot.timers import Leased, TimerQueue

log = logging.getLogger(__name__)

MAX_IDLE = 5.0
"""Longest sleep between claims when nothing is due (a new due-now job wakes it sooner)."""

SWEEP_EVERY = 300.0
"""Seconds between sweeps that rebuild timers from ticket state (also one at start)."""


def backoff(attempt: int, base: float = 1.0, cap: float = 300.0) -> float:
    """Seconds before attempt ``attempt + 1``: 1, 2, 4, ... up to ``cap``."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))


class Worker:
    def __init__(
        self, queue: TimerQueue, desk: Desk, *, batch: int = 100, concurrency: int = 32,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self.queue = queue
        self.desk = desk
        self.batch = batch
        self.sweep_every = sweep_every
        self._slots = asyncio.Semaphore(concurrency)
        self._next_sweep = 0.0
        self._sweep: asyncio.Task[None] | None = None
        # Another worker's leases are not in this one's wake-up time: look again within
        # half a lease, so a job whose worker died is taken over soon after it expires.
        self.max_idle = min(MAX_IDLE, queue.lease_ms / 2000)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; jobs already leased are finished first."""
        log.info("worker started")
        while not stop.is_set():
            try:
                await self._sweep_when_due()
                sleep = min(await self.run_once(),
                            max(0.0, self._next_sweep - time.monotonic()))
                if sleep > 0:
                    await self._idle(sleep, stop, self.queue.wait(sleep))
            except (RedisError, OSError) as exc:
                log.error("worker cannot reach Redis (%s); trying again in 1 s", exc)
                await self._idle(1.0, stop, asyncio.sleep(1.0))
        if self._sweep is not None:
            await self._sweep
        log.info("worker stopped")

    @staticmethod
    async def _idle(seconds: float, stop: asyncio.Event, wake: Awaitable[object]) -> None:
        """Wait for ``wake`` (a due job, or time), or for ``stop``, whichever comes first."""
        waiter: asyncio.Future[object] = asyncio.ensure_future(wake)
        stopper: asyncio.Future[object] = asyncio.ensure_future(stop.wait())
        done: set[asyncio.Future[object]] = set()
        try:
            done, _ = await asyncio.wait({waiter, stopper}, timeout=seconds + 1,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            stopper.cancel()
            # Collect both, so that an error raised while cancelling is not left unread.
            outcome, _ = await asyncio.gather(waiter, stopper, return_exceptions=True)
        if waiter in done and isinstance(outcome, Exception):
            raise outcome

    async def _sweep_when_due(self) -> None:
        """Start a sweep in the background when one is due: due jobs keep firing meanwhile."""
        if time.monotonic() < self._next_sweep or (self._sweep and not self._sweep.done()):
            return
        self._next_sweep = time.monotonic() + self.sweep_every
        # One sweep at a time across workers; a sweep is idempotent, so overlap is only waste.
        if await self.desk.store.lock("sweep", ttl=max(1, int(self.sweep_every / 2))):
            self._sweep = asyncio.create_task(self._run_sweep())

    async def _run_sweep(self) -> None:
        try:
            swept = await self.desk.sweep()
        except (RedisError, OSError) as exc:
            log.error("sweep stopped: cannot reach Redis (%s); the next one will redo it", exc)
        else:
            log.info("sweep: timers of %d open tickets rebuilt from their state", swept)

    async def run_once(self) -> float:
        """Claim and run one batch; returns how long to sleep before the next claim."""
        batch = await self.queue.claim(self.batch)
        if batch.jobs:
            now = batch.now_ms / 1000
            await asyncio.gather(*(self._run(job, now) for job in batch.jobs))
            return 0.0
        if batch.next_wake_ms is None:
            return self.max_idle
        return min(self.max_idle, max(0.0, (batch.next_wake_ms - batch.now_ms) / 1000))

    async def _run(self, job: Leased, now: float) -> None:
        async with self._slots:
            try:
                payload = JobPayload.model_validate(job.payload)
            except ValidationError as exc:
                log.error("job %s has an unreadable payload, dead-lettered: %s", job.id, exc)
                await self.queue.retry(job, 0, f"unreadable payload: {exc}", final=True)
                return
            key = ticket_key(payload.ticket)
            try:
                await self.desk.perform(payload, again=job.attempt > 1, now=now)
            except NotDue as early:
                await self.queue.retry(job, max(early.seconds, 0.001), str(early), counts=False)
            except Retryable as exc:
                delay = exc.retry_after if exc.rate_limited else backoff(job.attempt)
                outcome = await self.queue.retry(job, delay or 1.0, str(exc),
                                                 counts=not exc.rate_limited)
                log.warning("%s: job %s (attempt %d) not done: %s; %s in %.1f s", key, job.id,
                            job.attempt, exc, outcome, delay)
            except Undeliverable as exc:
                outcome = await self.queue.retry(job, backoff(job.attempt), exc.error)
                log.error("%s: job %s (attempt %d): Slack refused it: %s; %s", key, job.id,
                          job.attempt, exc.error, outcome)
            except Exception as exc:
                outcome = await self.queue.retry(job, backoff(job.attempt), repr(exc))
                log.exception("%s: job %s (attempt %d) failed; %s", key, job.id, job.attempt,
                              outcome)
            else:
                if not await self.queue.ack(job):
                    log.warning("%s: job %s finished after its lease expired", key, job.id)
