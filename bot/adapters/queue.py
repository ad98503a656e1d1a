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

from bot.adapters.keys import (
    AGAIN,
    ARM_LUA,
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

_BURY_LUA = """
-- Dead-letter job ``id`` (KEYS[7]: the dead letters, KEYS[8]: when each was
-- dead-lettered), then drop the oldest past ``cap``; returns how many were dropped.
local function bury(id, entry, now, cap)
  if redis.call('HLEN', KEYS[7]) > redis.call('ZCARD', KEYS[8]) then
    -- Dead letters from before their times were kept: they count as the oldest.
    for _, old in ipairs(redis.call('HKEYS', KEYS[7])) do
      redis.call('ZADD', KEYS[8], 'NX', 0, old)
    end
  end
  redis.call('HSET', KEYS[7], id, entry)
  redis.call('ZADD', KEYS[8], now, id)
  local over = redis.call('ZCARD', KEYS[8]) - cap
  if over <= 0 then return 0 end
  local oldest = redis.call('ZRANGE', KEYS[8], 0, over - 1)
  for _, old in ipairs(oldest) do
    redis.call('HDEL', KEYS[7], old)
  end
  redis.call('ZREMRANGEBYRANK', KEYS[8], 0, #oldest - 1)
  return #oldest
end
"""

_LEASED_LUA = ARM_LUA + """
-- Whether the lease on ``id`` is still the one whose expiry is ``token`` (the fencing check).
local function held(id, token)
  return tonumber(redis.call('ZSCORE', K_LEASE, id) or '-1') == tonumber(token)
end
"""

# KEYS[7], KEYS[8]: dead letters and their times. ARGV: lease ms, limit, shift, max claims,
# dead letters kept. Returns now, the next wake (-1: none), dead letters dropped, then
# id, payload, attempt and token of each job claimed.
_CLAIM = ARM_LUA + _BURY_LUA + """
local now = now_ms(ARGV[3])
local expired = redis.call('ZRANGEBYSCORE', K_LEASE, '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  redis.call('ZREM', K_LEASE, id)
  redis.call('SREM', K_AGAIN, id)
  redis.call('ZADD', K_DUE, 'NX', now, id)
end
local ids = redis.call('ZRANGEBYSCORE', K_DUE, '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {now, -1, 0}
local until_ = now + tonumber(ARGV[1])
for _, id in ipairs(ids) do
  redis.call('ZREM', K_DUE, id)
  local payload = redis.call('HGET', K_JOB, id)
  if payload then
    local tries = redis.call('HINCRBY', K_TRIES, id, 1)
    if tries > tonumber(ARGV[4]) then
      -- Claimed this often without an outcome: its worker dies or stalls on it each time.
      out[3] = out[3] + bury(id, cjson.encode({payload = payload, attempts = tries - 1,
        error = 'its lease expired every time: the job kills or stalls its worker'}), now,
        tonumber(ARGV[5]))
      redis.call('HDEL', K_JOB, id)
      redis.call('HDEL', K_TRIES, id)
    else
      redis.call('ZADD', K_LEASE, until_, id)
      out[#out + 1] = id
      out[#out + 1] = payload
      out[#out + 1] = tries
      out[#out + 1] = until_
    end
  end
end
local nxt = redis.call('ZRANGE', K_DUE, 0, 0, 'WITHSCORES')
local lease = redis.call('ZRANGE', K_LEASE, 0, 0, 'WITHSCORES')
local wake = -1
if nxt[2] then wake = tonumber(nxt[2]) end
if lease[2] and (wake < 0 or tonumber(lease[2]) < wake) then wake = tonumber(lease[2]) end
out[2] = wake
return out
"""

# ARGV: id, token, shift, lease ms. A new token (the new expiry), or 0: the lease is lost.
_RENEW = _LEASED_LUA + """
if not held(ARGV[1], ARGV[2]) then return 0 end
local until_ = now_ms(ARGV[3]) + tonumber(ARGV[4])
redis.call('ZADD', K_LEASE, 'XX', until_, ARGV[1])
return until_
"""

# ARGV: id, token, shift. Done: forget the job, unless it was armed again meanwhile.
_ACK = _LEASED_LUA + """
if not held(ARGV[1], ARGV[2]) then return 0 end
redis.call('ZREM', K_LEASE, ARGV[1])
redis.call('HDEL', K_TRIES, ARGV[1])
if redis.call('SREM', K_AGAIN, ARGV[1]) == 1 then
  arm(ARGV[1], now_ms(ARGV[3]), redis.call('HGET', K_JOB, ARGV[1]))
elseif not redis.call('ZSCORE', K_DUE, ARGV[1]) then
  redis.call('HDEL', K_JOB, ARGV[1])
end
return 1
"""

# KEYS[7], KEYS[8]: dead letters and their times. ARGV: id, token, shift, delay ms, max
# attempts (0: dead now), error, counts (1: this failure counts toward max attempts; 0: a
# rate limit, it does not), dead letters kept. Returns the outcome (0 lost, 1 retry, 2
# dead) and how many old dead letters were dropped.
_RETRY = _LEASED_LUA + _BURY_LUA + """
if not held(ARGV[1], ARGV[2]) then return {0, 0} end
redis.call('ZREM', K_LEASE, ARGV[1])
local again = redis.call('SREM', K_AGAIN, ARGV[1]) == 1
local tries = tonumber(redis.call('HGET', K_TRIES, ARGV[1]) or '0')
if ARGV[7] == '0' then
  tries = tries - 1
  redis.call('HSET', K_TRIES, ARGV[1], tries)
end
if tries >= tonumber(ARGV[5]) then
  local payload = redis.call('HGET', K_JOB, ARGV[1])
  local dropped = bury(ARGV[1], cjson.encode({payload = payload, attempts = tries,
    error = ARGV[6]}), now_ms(ARGV[3]), tonumber(ARGV[8]))
  redis.call('HDEL', K_TRIES, ARGV[1])
  if again then
    -- Armed again by a change while this attempt ran: that change still goes out.
    redis.call('ZADD', K_DUE, now_ms(ARGV[3]), ARGV[1])
  else
    redis.call('HDEL', K_JOB, ARGV[1])
  end
  return {2, dropped}
end
redis.call('ZADD', K_DUE, 'NX', now_ms(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
return {1, 0}
"""

# KEYS[7], KEYS[8]: dead letters and their times; KEYS[9]: the done set of the job's
# ticket. ARGV: id, shift. A dead letter back in the queue, due now with its attempts reset
# (a job armed again since keeps that newer payload). 1; 0: no such dead letter; -1: its
# job was not kept, there is nothing to run.
_REVIVE = ARM_LUA + """
local entry = redis.call('HGET', KEYS[7], ARGV[1])
if not entry then return 0 end
local payload = redis.call('HGET', K_JOB, ARGV[1])
if not payload then
  payload = cjson.decode(entry).payload
  if type(payload) ~= 'string' then return -1 end
end
redis.call('HDEL', KEYS[7], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
redis.call('SREM', KEYS[9], 'failed:' .. ARGV[1])
if not redis.call('ZSCORE', K_LEASE, ARGV[1]) then
  redis.call('HDEL', K_TRIES, ARGV[1])
end
arm(ARGV[1], now_ms(ARGV[2]), payload)
return 1
"""

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
        self._claim = redis.register_script(_CLAIM)
        self._renew = redis.register_script(_RENEW)
        self._ack = redis.register_script(_ACK)
        self._retry = redis.register_script(_RETRY)
        self._revive = redis.register_script(_REVIVE)

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
