"""Jobs that wait for a service to answer again, and the probe that finds out when it does.

A job that Slack (or the SMTP server) could not take backs off exponentially, so that an
outage of hours is not met with a storm of retries. Alone, that would leave a warning due
during a short outage waiting out the rest of its backoff after the service is back: 3 to
4 s after a 5 s Slack outage, minutes after a longer one. So each worker keeps the jobs
that failed on a service, and asks the service once a second, with one cheap call
(``auth.test``; an SMTP greeting), whether it answers again; the moment it does, those
jobs are due at once. One probe per service per worker, whatever the number of jobs.

A probe that says yes while the jobs still fail (a server that greets but refuses mail)
does not loop: after a release, the next one waits ``QUIET`` seconds, and the jobs keep
their own backoff meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from redis.exceptions import RedisError

from bot.adapters.keys import Partition
from bot.adapters.queue import JobQueue, Leased
from bot.adapters.slack import Retryable

log = logging.getLogger(__name__)

PROBE_EVERY = 1.0
"""Seconds between two probes of a service that does not answer."""
QUIET = 30.0
"""Seconds after a release before the same service's jobs are released again."""

Probe = Callable[[], Awaitable[None]]
"""Returns when the service answers; raises Retryable (or OSError) while it does not."""


class Outages:
    def __init__(self, queue: JobQueue, probes: Mapping[str, Probe], *,
                 every: float = PROBE_EVERY, quiet: float = QUIET) -> None:
        self.queue = queue
        self.probes = probes
        self.every = every
        self.quiet = quiet
        self._waiting: dict[str, dict[str, Partition]] = {}
        self._probing: dict[str, asyncio.Task[None]] = {}
        self._released: dict[str, float] = {}

    def waits(self, service: str, job: Leased) -> None:
        """``job`` failed because ``service`` does not answer: it goes again when it does
        (or at the end of its backoff, whichever comes first)."""
        probe = self.probes.get(service)
        if probe is None:
            return
        self._waiting.setdefault(service, {})[job.id] = job.home
        if service in self._probing:
            return
        if time.monotonic() - self._released.get(service, -self.quiet) < self.quiet:
            return
        self._probing[service] = asyncio.create_task(self._probe(service, probe))

    async def _probe(self, service: str, probe: Probe) -> None:
        try:
            while True:
                await asyncio.sleep(self.every)
                try:
                    await probe()
                except (Retryable, OSError, TimeoutError):
                    continue
                break
            jobs = self._waiting.pop(service, {})
            self._released[service] = time.monotonic()
            moved = await self.queue.due_now(jobs)
            log.info("%s answers again: %d job(s) that waited on it go now", service, moved)
        except (RedisError, OSError) as exc:
            log.warning("%s answers again, but Redis does not (%s): its jobs go at the end "
                        "of their backoff", service, exc)
        finally:
            self._probing.pop(service, None)

    async def close(self) -> None:
        """Stop probing (the worker is stopping; the jobs keep their backoff)."""
        tasks = list(self._probing.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
