"""The loop that runs due jobs: any number of workers, one Redis.

A worker leases a batch of due jobs, runs each with its handler (renewing its lease
while it runs) and acks it when done. Slack's 429 pushes the job back by Retry-After (no
worker sleeps on it); 5xx and connection errors back off exponentially, and go at once
when the service answers again (``outage``); a permanent
refusal is dead-lettered at once, and so is a job out of attempts; either way the
ticket's triage thread is told. At start and every few minutes it sweeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable

from pydantic import ValidationError
from redis.exceptions import RedisError

from bot.adapters.connection import redis_unreachable
from bot.adapters.finish import Finished
from bot.adapters.metrics import show_queue
from bot.adapters.queue import Buried, JobQueue, Leased
from bot.adapters.redis_time import RedisTime
from bot.adapters.slack import Retryable, Undeliverable
from bot.delivery.hold import Hold, backoff, ticket_of_id
from bot.delivery.job_run import Deps, LeaseLost, NotReady, Run, Write
from bot.delivery.outage import Outages
from bot.delivery.registry import Registry
from bot.domain.jobs import JOB, Job
from bot.domain.tickets import ticket_key
from bot.services.reminders import NotDue
from bot.services.reports import Reports
from bot.services.retention import Retention
from bot.services.sweep import Sweeper, failed

log = logging.getLogger(__name__)

MAX_IDLE = 5.0
"""Longest wait between claims when nothing is due (a job armed earlier wakes it)."""

MEASURE_EVERY = 5.0
"""Seconds between readings of the queue for the metrics."""

SWEEP_EVERY = 300.0
"""Seconds between sweeps that rebuild timers and posts from ticket state (one at start)."""


CONCURRENCY = 64
"""Jobs one worker runs at once. A warning holds a slot for some 160 ms over its three jobs
(two Slack calls of 50 ms, and their Redis round trips): 500 warnings a second need some
80 slots across the workers."""


TRANSIENT_ATTEMPTS = 300
"""Attempts of a job Slack (or SMTP, a receiver) cannot take now: at the 300 s cap of the
backoff, about a day. An outage of hours ends with everything delivered, late."""

RERUNS = 3
"""Runs of a job again at once, in one claim, after Redis went out of reach mid-run."""


class Worker:
    def __init__(self, queue: JobQueue, registry: Registry, deps: Deps, clock: RedisTime,
                 sweeper: Sweeper, *, reports: Reports | None = None,
                 retention: Retention | None = None, outages: Outages | None = None,
                 batch: int = 100, concurrency: int = CONCURRENCY,
                 sweep_every: float = SWEEP_EVERY) -> None:
        """``registry``: each job kind's handler; ``sweeper``: the sweep, run at start and
        every ``sweep_every`` s; with it, ``reports`` arms the monthly statements and
        ``retention`` archives and drops old tickets; ``outages``: jobs that failed on a
        service go again as soon as it answers."""
        self.queue = queue
        self.registry = registry
        self.deps = deps
        self.clock = clock
        self.sweeper = sweeper
        self.reports = reports
        self.retention = retention
        self.outages = outages
        self.batch = batch
        self.sweep_every = sweep_every
        self.concurrency = concurrency
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._next_measure = 0.0
        self._next_sweep = 0.0
        self._started = False
        self._servers: frozenset[str] | None = None
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
                await self._measure()
                sleep = min(await self.run_once(),
                            max(0.0, self._next_sweep - time.monotonic()))
                if sleep > 0:
                    await self._idle(sleep, stop, self.queue.wait(sleep))
            except (RedisError, OSError) as exc:
                log.error("worker cannot reach Redis (%s); trying again in 1 s", exc)
                self._sweep_again()
                await self._idle(1.0, stop, asyncio.sleep(1.0))
        await self.finish()
        if self.outages is not None:
            await self.outages.close()
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

    async def _measure(self) -> None:
        """The queue's depth, oldest wait and dead letters, for ``/metrics`` (every 5 s)."""
        if time.monotonic() < self._next_measure:
            return
        self._next_measure = time.monotonic() + MEASURE_EVERY
        show_queue(*await self.queue.stats())
        servers = await self.queue.servers()
        if self._servers is not None and servers != self._servers:
            log.warning("Redis restarted or failed over: sweeping, to rebuild what it lost")
            self._sweep_again()
        self._servers = servers

    def _sweep_again(self) -> None:
        """Sweep as soon as Redis answers: a restart without persistence, or a failover
        (whose replica may lack the master's last writes), can lose armed timers and posts;
        the sweep rebuilds them from the tickets."""
        self._started, self._next_sweep = False, 0.0

    # -- the sweep ------------------------------------------------------------------------

    async def _sweep_when_due(self) -> None:
        """Start a sweep in the background when one is due: due jobs keep firing meanwhile.

        One sweep runs at a time across workers (``sweep:running``, kept while it runs);
        after one, none is due for ``sweep_every`` (``sweep:recent``), except a worker's
        first and its first after Redis was out of reach (a failover may have lost the
        last writes of a master: the sweep rebuilds the timers and posts they armed).
        """
        if time.monotonic() < self._next_sweep or (self._sweep and not self._sweep.done()):
            return
        self._next_sweep = time.monotonic() + self.sweep_every
        store = self.deps.store
        first, self._started = not self._started, True
        if not first and not await store.lock("sweep:recent", self.sweep_every):
            return
        if await store.lock("sweep:running", self.lease_seconds()):
            self._sweep = asyncio.create_task(self._run_sweep())

    def lease_seconds(self) -> float:
        return max(30.0, self.queue.lease_ms / 1000)

    async def _run_sweep(self) -> None:
        store = self.deps.store
        started = time.monotonic()

        async def heartbeat() -> None:
            await store.extend_lock("sweep:running", self.lease_seconds())

        try:
            skew = await self.clock.calibrate(store.redis)
            if abs(skew) > 1:
                log.warning("this host's clock is %.1f s off Redis's; the desk keeps Redis's",
                            skew)
            result = await self.sweeper.sweep(heartbeat)
            await self._housekeeping()
        except (RedisError, OSError) as exc:
            log.error("sweep stopped: cannot reach Redis (%s); trying again in %.0f s", exc,
                      MEASURE_EVERY)
            self._sweep_again()
            self._next_sweep = time.monotonic() + MEASURE_EVERY
        except Exception:
            log.exception("sweep stopped by an error; the next one will try again")
        else:
            log.info("sweep: %d open tickets in %.2f s (%d had posts missing, %d changed "
                     "meanwhile)", result.tickets, time.monotonic() - started, result.repaired,
                     result.skipped)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await store.unlock("sweep:running")

    async def _housekeeping(self) -> None:
        """With each sweep: arm the clients' next monthly statements (each once), archive
        the tickets resolved long enough ago, drop the archives past keeping."""
        if self.reports is not None:
            await self.reports.arm_statements()
        if self.retention is not None:
            await self.retention.run()

    # -- jobs -----------------------------------------------------------------------------

    async def run_once(self) -> float:
        """Claim due jobs for the free slots and start them; returns how long to sleep
        before the next claim (none when the claim was full: more may be due).

        A worker claims no more jobs than it has free slots: a job must not wait for a
        slot while its lease runs out (another worker would take it over meanwhile). The
        jobs run on their own: slots freed by quick jobs are claimed for again while the
        slower ones of the same claim still run (once a quarter of them are free, so that
        a busy worker claims in batches, not once per job)."""
        while self.concurrency - len(self._tasks) < max(1, self.concurrency // 4):
            self._room.clear()
            await self._room.wait()
        free = self.concurrency - len(self._tasks)
        asked = max(0, min(self.batch, free))
        batch = await self.queue.claim(asked)
        if batch.jobs:
            now = batch.now_ms / 1000
            for job in batch.jobs:
                self._start(job, now)
            if len(batch.jobs) == asked:
                return 0.0  # more may be due: claim again at once (else a job armed wakes it)
        if batch.next_wake_ms is None:
            return self.max_idle
        return min(self.max_idle, max(0.0, (batch.next_wake_ms - batch.now_ms) / 1000))

    @property
    def running(self) -> int:
        """Jobs this worker runs now."""
        return len(self._tasks)

    async def finish(self) -> None:
        """Wait for the jobs this worker started to end (``run`` does, before it returns)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._room.set()
        if not task.cancelled() and (exc := task.exception()) is not None:
            # Its lease runs out and the job is claimed again: nothing is lost.
            log.error("a job stopped by %r; it runs again when its lease expires", exc)

    def _start(self, leased: Leased, now: float) -> None:
        task = asyncio.create_task(self._run(leased, now))
        self._tasks.add(task)
        task.add_done_callback(self._ended)

    async def _run(self, leased: Leased, now: float) -> None:
        hold = Hold(self.queue, leased)
        try:
            job = JOB.validate_python(leased.payload)
        except ValidationError as exc:
            # Another version's job (a rolling deploy): give that version's workers an hour
            # to take it, then dead-letter it.
            log.error("%s: job %s has a payload this version cannot read: %s",
                      ticket_of_id(leased.id), leased.id, exc.errors()[:1])
            await hold.retry(60.0, f"unreadable payload: {exc}", max_attempts=60)
            return
        await self._attempt(job, hold, now)

    async def _closing(self, hold: Hold, write: Write) -> Finished:
        """A job's last write and ack; a job it leased to this worker at once starts now."""
        done = await hold.closing(write)
        if done.taken is not None:
            self._start(done.taken, done.now_ms / 1000)
        return done

    async def _attempt(self, job: Job, hold: Hold, now: float) -> None:
        """Run the job and write its outcome. A run cut off from Redis runs again as soon as
        Redis answers, while this worker still holds the job: not when its lease expires."""
        key, leased = ticket_key(job.ticket), hold.leased
        for rerun in range(RERUNS + 1):
            if not await self._try(job, hold, now, again=rerun > 0, last=rerun == RERUNS):
                return
            if not await hold.still_held():
                log.warning("%s: job %s lost its lease while Redis was out of reach; another "
                            "worker takes it over", key, leased.id)
                return
            log.info("%s: job %s runs again, Redis answers again", key, leased.id)

    async def _try(self, job: Job, hold: Hold, now: float, *, again: bool, last: bool
                   ) -> bool:
        """One run of the job, and its outcome written; True when Redis went out of reach
        mid-run (unless ``last``): nothing is written, the job is to run again."""
        key, leased = ticket_key(job.ticket), hold.leased

        async def fence() -> None:
            if not await hold.renew():
                raise LeaseLost(leased.id)

        async def close(write: Write) -> Finished:
            return await self._closing(hold, write)

        run = Run(self.deps, again=again or leased.attempt > 1, now=now, fence=fence,
                  close=close, ticket=None if again else leased.ticket)
        work = asyncio.ensure_future(self.registry.run(job, run))
        lost = asyncio.Event()
        keeper = asyncio.ensure_future(hold.keep(work, lost))
        try:
            await work
        except NotDue as early:
            await hold.retry(max(early.seconds, 0.001), str(early), counts=False)
        except Retryable as exc:
            delay = exc.retry_after if exc.rate_limited else backoff(leased.attempt)
            outcome = await hold.retry(delay or 1.0, str(exc), counts=not exc.rate_limited,
                                       max_attempts=TRANSIENT_ATTEMPTS,
                                       dead=self._if_dead(job, str(exc)))
            log.warning("%s: job %s (attempt %d) not done: %s; %s in %.1f s", key, leased.id,
                        leased.attempt, exc, outcome, delay)
            if outcome == "retry" and not exc.rate_limited and self.outages is not None:
                self.outages.waits(exc.service, leased)
        except Undeliverable as exc:
            await hold.retry(0, exc.error, final=True, dead=self._if_dead(job, exc.error))
            log.error("%s: job %s refused for good: %s; dead-lettered", key, leased.id,
                      exc.error)
        except (LeaseLost, asyncio.CancelledError) as exc:
            if isinstance(exc, asyncio.CancelledError) and not lost.is_set():
                raise  # this worker is being stopped, not fenced off
            log.warning("%s: job %s lost its lease mid-run; another worker takes it over",
                        key, leased.id)
        except NotReady as exc:
            outcome = await hold.retry(backoff(leased.attempt), str(exc),
                                       max_attempts=TRANSIENT_ATTEMPTS,
                                       dead=self._if_dead(job, str(exc)))
            log.info("%s: job %s waits: %s (%s)", key, leased.id, exc, outcome)
        except Exception as exc:
            if redis_unreachable(exc) and not last:
                log.warning("%s: job %s cut off from Redis (%s); it runs again once Redis "
                            "answers", key, leased.id, exc)
                return True
            outcome = await hold.retry(backoff(leased.attempt), repr(exc),
                                       dead=self._if_dead(job, type(exc).__name__))
            log.exception("%s: job %s (attempt %d) failed; %s", key, leased.id, leased.attempt,
                          outcome)
        else:
            acked = hold.acked if hold.acked is not None else await hold.ack()
            if not acked:
                log.warning("%s: job %s finished after its lease expired", key, leased.id)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        return False

    def _if_dead(self, job: Job, error: str) -> Buried | None:
        """Written with a dead letter: its ticket's record of it, the note to the triage."""
        if job.ticket == 0:
            return None
        return Buried(job.ticket, failed(job.id), self.registry.consequences(job, error))
