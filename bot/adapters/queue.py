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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from bot.adapters import scripts
from bot.adapters.keys import (
    AGAIN,
    DEAD,
    DEAD_AT,
    DUE,
    JOB,
    LEASE,
    TRIES,
    WAKE,
    done_set,
)

log = logging.getLogger(__name__)

DEAD_LETTERS_MAX = 10_000
"""Dead letters kept; past this the oldest are dropped (and a log line says how many)."""

_KEYS = [DUE, LEASE, JOB, TRIES, AGAIN, WAKE]


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
    """A job this worker holds until ``token`` (lease expiry, ms by Redis's clock)."""

    id: str
    payload: dict[str, Any]
    attempt: int
    token: int


@dataclass(frozen=True)
class Batch:
    now_ms: int
    next_wake_ms: int | None
    """When the earliest pending job is due or lease expires; None when the queue is empty."""
    jobs: list[Leased]


class JobQueue:
    def __init__(self, redis: Redis, *, lease_seconds: float = 30.0, max_attempts: int = 12,
                 shift_ms: Callable[[], int] | None = None) -> None:
        self.redis = redis
        self.lease_ms = round(lease_seconds * 1000)
        self.max_attempts = max_attempts
        self._shift = shift_ms or (lambda: 0)
        self._claim = redis.register_script(scripts.CLAIM)
        self._renew = redis.register_script(scripts.RENEW)
        self._ack = redis.register_script(scripts.ACK)
        self._retry = redis.register_script(scripts.RETRY)
        self._revive = redis.register_script(scripts.REVIVE)

    async def claim(self, limit: int = 100) -> Batch:
        """Lease up to ``limit`` due jobs, earliest first; expired leases are due again."""
        raw = await self._claim(keys=[*_KEYS, DEAD, DEAD_AT],
                                args=[self.lease_ms, limit, self._shift(), MAX_CLAIMS,
                                      DEAD_LETTERS_MAX])
        _dropped(int(raw[2]))
        jobs = [
            Leased(str(raw[i]), json.loads(raw[i + 1]), int(raw[i + 2]), int(raw[i + 3]))
            for i in range(3, len(raw), 4)
        ]
        wake = int(raw[1])
        return Batch(int(raw[0]), None if wake < 0 else wake, jobs)

    async def renew(self, job: Leased) -> bool:
        """Extend the lease of a job still running; False if it was lost (the worker must
        stop: another may hold it now)."""
        token = int(await self._renew(keys=_KEYS, args=[job.id, job.token, self._shift(),
                                                          self.lease_ms]))
        if token:
            job.token = token
        return bool(token)

    async def ack(self, job: Leased) -> bool:
        """Done: forget the job (or run it once more if it was armed again meanwhile).

        False when the lease was lost (another worker has it now)."""
        return bool(await self._ack(keys=_KEYS, args=[job.id, job.token, self._shift()]))

    async def retry(self, job: Leased, delay: float, error: str, *, counts: bool = True,
                    final: bool = False, max_attempts: int | None = None) -> str:
        """Run ``job`` again after ``delay`` seconds; after max attempts (or at once when
        ``final``) it goes to the dead letters.

        Returns ``"retry"``, ``"dead"`` or ``"lost"`` (the lease had expired).
        """
        result, dropped = await self._retry(keys=[*_KEYS, DEAD, DEAD_AT], args=[
            job.id, job.token, self._shift(), round(delay * 1000),
            0 if final else (max_attempts or self.max_attempts), error[:500],
            1 if counts else 0, DEAD_LETTERS_MAX])
        _dropped(int(dropped))
        return {0: "lost", 1: "retry", 2: "dead"}[int(result)]

    async def wait(self, seconds: float) -> None:
        """Block until a job becomes the earliest due or ``seconds`` pass (one connection)."""
        if seconds > 0:
            await self.redis.blpop([WAKE], timeout=max(seconds, 0.01))

    async def wake(self) -> None:
        """Wake idle workers (after the clock moved, say)."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lpush(WAKE, "1")
            pipe.ltrim(WAKE, 0, 0)
            await pipe.execute()

    async def dead_letters(self) -> dict[str, dict[str, Any]]:
        raw = cast(dict[str, str], await self.redis.hgetall(DEAD))
        return {k: json.loads(v) for k, v in raw.items()}

    async def dead_letter_list(self) -> list[DeadLetter]:
        """Every dead letter, the most recently dead-lettered first."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(DEAD)
            pipe.zrange(DEAD_AT, 0, -1, withscores=True)
            raw, times = await pipe.execute()
        at = {str(k): float(v) for k, v in times}
        letters = [_dead_letter(str(k), str(v), at.get(str(k))) for k, v in raw.items()]
        return sorted(letters, key=lambda d: (-(d.at_ms or 0), d.id))

    async def revive(self, job_id: str) -> str:
        """Put a dead letter back in the queue, due now with its attempts reset, and forget
        its ``failed:<id>`` record on the ticket (so the sweep may repair it again).

        Returns ``"queued"``, ``"unknown"`` (no such dead letter) or ``"empty"`` (its job
        was not kept: there is nothing to run)."""
        raw = await self.redis.hget(DEAD, job_id)
        if raw is None:
            return "unknown"
        ticket = _dead_letter(job_id, str(raw), None).ticket or 0
        result = int(await self._revive(keys=[*_KEYS, DEAD, DEAD_AT, done_set(ticket)],
                                        args=[job_id, self._shift()]))
        return {1: "queued", 0: "unknown", -1: "empty"}[result]

    async def drop(self, job_id: str) -> bool:
        """Delete a dead letter; False when there is no such dead letter."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(DEAD, job_id)
            pipe.zrem(DEAD_AT, job_id)
            deleted, _ = await pipe.execute()
        return bool(deleted)

    async def pending(self) -> int:
        """Jobs waiting or running."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcard(DUE)
            pipe.zcard(LEASE)
            due, leased = await pipe.execute()
        return int(due) + int(leased)

    async def stats(self) -> tuple[int, float, int]:
        """Jobs due now, how long the oldest has waited (s), dead letters (for metrics)."""
        now = (await self.claim(0)).now_ms
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcount(DUE, "-inf", now)
            pipe.zrange(DUE, 0, 0, withscores=True)
            pipe.hlen(DEAD)
            due, oldest, dead = await pipe.execute()
        waited = max(0.0, (now - oldest[0][1]) / 1000) if oldest and due else 0.0
        return int(due), waited, int(dead)

    async def busy(self) -> bool:
        """Whether a job is due now or running: False once everything due has been done."""
        now = (await self.claim(0)).now_ms
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zcount(DUE, "-inf", now)
            pipe.zcard(LEASE)
            due, leased = await pipe.execute()
        return bool(due or leased)
