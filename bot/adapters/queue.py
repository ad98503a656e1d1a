"""The Redis job queue: claim due jobs into leases, renew, ack, retry, dead-letter.

Jobs are armed by ``bot.adapters.store`` together with the change that wants them.
Redis's own clock (``TIME``, plus the clock's deliberate shift, 0 outside tests) is the
only clock here, so workers on hosts whose clocks disagree still agree. A claimed job is
leased: while its worker runs it the lease is renewed; if the worker dies, the lease
expires and the job returns to the queue. The lease's expiry is the fencing token of
ack, renew and retry: a worker that lost its lease can no longer touch the job.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import RedisCluster

from bot.adapters import queue_scripts
from bot.adapters.connection import RedisClient
from bot.adapters.keys import Layout, Partition
from bot.adapters.waker import Waker
from bot.domain.jobs import Job
from bot.domain.tickets import Versioned

log = logging.getLogger(__name__)

DEAD_LETTERS_MAX = 10_000
"""Dead letters kept; past this the oldest are dropped (and a log line says how many)."""


def _dropped(count: int) -> None:
    if count:
        log.warning("dead letters: dropped the %d oldest (more than %d are kept)", count,
                    DEAD_LETTERS_MAX)


MAX_CLAIMS = 400
"""Claims of one job without an outcome (its own retries count too) before it is dead:
a job whose worker dies or stalls on it every time must not go round forever."""


@dataclass(frozen=True)
class DeadLetter:
    """A job that failed for good (or ran out of attempts), as the dead letters keep it."""

    id: str
    job: dict[str, Any] | None
    """The typed job (JSON); None when it was not kept or cannot be read."""
    attempts: int
    error: str
    at_ms: int | None
    """When it was dead-lettered (ms, Redis clock); None when not known."""

    @property
    def ticket(self) -> int | None:
        number = (self.job or {}).get("ticket")
        return number if isinstance(number, int) and number > 0 else None

    @property
    def kind(self) -> str:
        return str((self.job or {}).get("kind") or "-")


def _dead_letter(job_id: str, raw: str, at: float | None) -> DeadLetter:
    try:
        entry = json.loads(raw)
    except ValueError:
        entry = {}
    if not isinstance(entry, dict):
        entry = {}
    job: dict[str, Any] | None = None
    if isinstance(entry.get("payload"), str):
        try:
            parsed = json.loads(entry["payload"])
        except ValueError:
            parsed = None
        job = parsed if isinstance(parsed, dict) else None
    attempts = entry.get("attempts")
    return DeadLetter(job_id, job, attempts if isinstance(attempts, int) else 0,
                      str(entry.get("error") or ""), round(at) if at else None)


@dataclass
class Leased:
    """A job this worker holds until ``token`` (lease expiry, ms by Redis's clock), from
    the queue of partition ``home``."""

    id: str
    payload: dict[str, Any]
    attempt: int
    token: int
    home: Partition = field(default_factory=lambda: Layout().all[0])
    ticket: Versioned | None = None
    """Its ticket as it was when the job was leased, when it was read in the same step (a
    job taken on at once by the one before it, ``Choice.take``)."""


@dataclass(frozen=True)
class Buried:
    """What a job of ticket ``ticket`` leaves when it is dead-lettered, written in the same
    step: ``mark`` in the ticket's done set, and ``jobs`` armed (due at once)."""

    ticket: int
    mark: str
    jobs: Sequence[Job]


@dataclass(frozen=True)
class Batch:
    now_ms: int
    next_wake_ms: int | None
    """When the earliest pending job is due or lease expires; None when the queue is empty."""
    jobs: list[Leased]


class JobQueue:
    """The job queue of every partition: a worker claims from each in turn (one round trip
    per partition), earliest due first within each."""

    def __init__(self, redis: RedisClient, *, lease_seconds: float = 30.0,
                 max_attempts: int = 12, shift_ms: Callable[[], int] | None = None,
                 layout: Layout | None = None) -> None:
        self.redis = redis
        self.layout = layout or Layout()
        self.lease_ms = round(lease_seconds * 1000)
        self.max_attempts = max_attempts
        self._shift = shift_ms or (lambda: 0)
        self._claim = redis.register_script(queue_scripts.CLAIM)
        self._renew = redis.register_script(queue_scripts.RENEW)
        self._ack = redis.register_script(queue_scripts.ACK)
        self._retry = redis.register_script(queue_scripts.RETRY)
        self._revive = redis.register_script(queue_scripts.REVIVE)
        self._busy = redis.register_script(queue_scripts.BUSY)
        self._due_now = redis.register_script(queue_scripts.DUE_NOW)
        self._turn = 0
        self._waker = Waker(redis, self.layout)

    async def claim(self, limit: int = 100) -> Batch:
        """Lease up to ``limit`` due jobs, earliest first in each partition (the first
        partition asked goes round); expired leases are due again."""
        parts = self.layout.all
        self._turn = (self._turn + 1) % len(parts)
        jobs: list[Leased] = []
        now_ms, wake_in = 0, None
        for part in parts[self._turn:] + parts[:self._turn]:
            now, wake, got = await self._claim_from(part, max(0, limit - len(jobs)))
            jobs.extend(got)
            now_ms = now_ms or now
            if wake is not None:
                wake_in = min(wake - now, wake_in if wake_in is not None else wake - now)
        return Batch(now_ms, None if wake_in is None else now_ms + wake_in, jobs)

    async def _claim_from(self, part: Partition, limit: int
                          ) -> tuple[int, int | None, list[Leased]]:
        raw = await self._claim(keys=[*part.queue, part.dead, part.dead_at],
                                args=[self.lease_ms, limit, self._shift(), MAX_CLAIMS,
                                      DEAD_LETTERS_MAX])
        _dropped(int(raw[2]))
        jobs = [
            Leased(str(raw[i]), json.loads(raw[i + 1]), int(raw[i + 2]), int(raw[i + 3]),
                   part)
            for i in range(3, len(raw), 4)
        ]
        wake = int(raw[1])
        return int(raw[0]), None if wake < 0 else wake, jobs

    async def renew(self, job: Leased) -> bool:
        """Extend the lease of a job still running; False if it was lost (the worker must
        stop: another may hold it now)."""
        token = int(await self._renew(keys=list(job.home.queue), args=[
            job.id, job.token, self._shift(), self.lease_ms]))
        if token:
            job.token = token
        return bool(token)

    async def ack(self, job: Leased) -> bool:
        """Done: forget the job (or run it once more if it was armed again meanwhile).

        False when the lease was lost (another worker has it now)."""
        return bool(await self._ack(keys=list(job.home.queue),
                                    args=[job.id, job.token, self._shift()]))

    async def retry(self, job: Leased, delay: float, error: str, *, counts: bool = True,
                    final: bool = False, max_attempts: int | None = None,
                    dead: Buried | None = None) -> str:
        """Run ``job`` again after ``delay`` seconds; after max attempts (or at once when
        ``final``) it goes to the dead letters, and ``dead`` is written with it.

        Returns ``"retry"``, ``"dead"`` or ``"lost"`` (the lease had expired).
        """
        home = job.home
        keys = [*home.queue, home.dead, home.dead_at]
        args: list[Any] = [
            job.id, job.token, self._shift(), round(delay * 1000),
            0 if final else (max_attempts or self.max_attempts), error[:500],
            1 if counts else 0, DEAD_LETTERS_MAX]
        if dead is not None:
            if self.layout.of_ticket(dead.ticket) != home:  # a ticket's jobs are in its own
                raise ValueError(f"job {job.id} is not in T-{dead.ticket}'s partition")
            keys.append(self.layout.done_set(dead.ticket))
            args.append(json.dumps({"mark": dead.mark, "jobs": [
                {"id": j.id, "payload": j.model_dump_json()} for j in dead.jobs]}))
        result, dropped = await self._retry(keys=keys, args=args)
        _dropped(int(dropped))
        return {0: "lost", 1: "retry", 2: "dead"}[int(result)]

    async def due_now(self, jobs: Mapping[str, Partition]) -> int:
        """The jobs (id -> partition) still waiting out their backoff after a failure run
        now: the service they failed on answers again. How many moved."""
        by_part: dict[Partition, list[str]] = {}
        for job_id, part in jobs.items():
            by_part.setdefault(part, []).append(job_id)
        moved = 0
        for part, ids in by_part.items():
            moved += int(await self._due_now(keys=list(part.queue), args=[self._shift(), *ids]))
        return moved

    async def wait(self, seconds: float) -> None:
        """Block until a job becomes the earliest due of a partition or ``seconds`` pass."""
        await self._waker.wait(seconds)

    async def close(self) -> None:
        """Stop waiting for wake-ups (the connections a wait holds)."""
        await self._waker.close()

    async def wake(self) -> None:
        """Wake idle workers of every partition (after the clock moved, say)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in self.layout.all:
                pipe.lpush(part.wake, "1")
                pipe.ltrim(part.wake, 0, 0)
            await pipe.execute()

    async def dead_letters(self) -> dict[str, dict[str, Any]]:
        return {letter.id: json.loads(raw) for letter, raw in await self._dead_raw()}

    async def _dead_raw(self) -> list[tuple[DeadLetter, str]]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in self.layout.all:
                pipe.hgetall(part.dead)
                pipe.zrange(part.dead_at, 0, -1, withscores=True)
            replies = await pipe.execute()
        found = []
        for raw, times in zip(replies[::2], replies[1::2], strict=True):
            at = {str(k): float(v) for k, v in times}
            found += [(_dead_letter(str(k), str(v), at.get(str(k))), str(v))
                      for k, v in raw.items()]
        return found

    async def dead_letter_list(self) -> list[DeadLetter]:
        """Every dead letter, the most recently dead-lettered first."""
        letters = [letter for letter, _ in await self._dead_raw()]
        return sorted(letters, key=lambda d: (-(d.at_ms or 0), d.id))

    async def _dead_home(self, job_id: str) -> tuple[Partition, str] | None:
        """The partition holding dead letter ``job_id``, and its entry."""
        for part in self.layout.all:
            raw = await self.redis.hget(part.dead, job_id)
            if raw is not None:
                return part, str(raw)
        return None

    async def revive(self, job_id: str) -> str:
        """Put a dead letter back in the queue, due now with its attempts reset, and forget
        its ``failed:<id>`` record on the ticket (so the sweep may repair it again).

        Returns ``"queued"``, ``"unknown"`` (no such dead letter) or ``"empty"`` (its job
        was not kept: there is nothing to run)."""
        found = await self._dead_home(job_id)
        if found is None:
            return "unknown"
        home, raw = found
        ticket = _dead_letter(job_id, raw, None).ticket
        # A ticket's jobs are in its partition; a job of no ticket has no record to forget.
        done = self.layout.done_set(ticket) if ticket else home.ns + "done:0"
        result = int(await self._revive(keys=[*home.queue, home.dead, home.dead_at, done],
                                        args=[job_id, self._shift()]))
        return {1: "queued", 0: "unknown", -1: "empty"}[result]

    async def drop(self, job_id: str) -> bool:
        """Delete a dead letter; False when there is no such dead letter."""
        found = await self._dead_home(job_id)
        if found is None:
            return False
        home, _ = found
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(home.dead, job_id)
            pipe.zrem(home.dead_at, job_id)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def _counts(self, now: int) -> list[tuple[int, list[tuple[str, float]], int, int]]:
        """Per partition: jobs due by ``now``, the earliest due, dead letters, leases."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in self.layout.all:
                pipe.zcount(part.due, "-inf", now)
                pipe.zrange(part.due, 0, 0, withscores=True)
                pipe.hlen(part.dead)
                pipe.zcard(part.lease)
            replies = await pipe.execute()
        return [(int(due), oldest, int(dead), int(leased))
                for due, oldest, dead, leased in zip(*[iter(replies)] * 4, strict=True)]

    async def pending(self) -> int:
        """Jobs waiting or running."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in self.layout.all:
                pipe.zcard(part.due)
                pipe.zcard(part.lease)
            return sum(int(n) for n in await pipe.execute())

    async def now_ms(self) -> int:
        """Redis's clock (plus the clock's shift), as the queue's scripts read it."""
        seconds, micros = await self.redis.time()
        return int(seconds) * 1000 + int(micros) // 1000 + int(self._shift())

    async def stats(self) -> tuple[int, float, int]:
        """Jobs due now, how long the oldest has waited (s), dead letters (for metrics)."""
        now = await self.now_ms()
        counts = await self._counts(now)
        waited = max((max(0.0, (now - oldest[0][1]) / 1000) for due, oldest, _, _ in counts
                      if oldest and due), default=0.0)
        return sum(c[0] for c in counts), waited, sum(c[2] for c in counts)

    async def servers(self) -> frozenset[str]:
        """The run ids of the Redis servers holding the queue (every master on a cluster):
        they change when one restarts or a replica takes over."""
        if isinstance(self.redis, RedisCluster):
            found = await self.redis.info("server", target_nodes=RedisCluster.PRIMARIES)
            return frozenset(str(info["run_id"]) for info in found.values())
        return frozenset([str((await self.redis.info("server"))["run_id"])])

    async def busy(self) -> bool:
        """Whether a job is due now or running: False once everything due has been done.
        Each partition is read in one script (``BUSY``), so a job finishing meanwhile is
        never missed between its lease and the follow-up it arms."""
        for part in self.layout.all:
            if await self._busy(keys=[part.due, part.lease], args=[int(self._shift())]):
                return True
        return False
