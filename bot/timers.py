"""The Redis timer queue: claim due jobs into leases, ack, retry, dead-letter.

Jobs are armed by ``bot.store`` together with the ticket change that wants them.
Redis's own clock (``TIME``) is the only clock here, so workers on skewed hosts agree.
A claimed job is leased: if its worker dies, the lease expires and the job returns
to the queue; the lease's expiry doubles as a fencing token for ack and retry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

from bot.store import DEAD, DUE, JOB, LEASE, TRIES, WAKE

_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZADD', KEYS[1], 'NX', now, id)
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = {now, -1}
local until_ = now + tonumber(ARGV[1])
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local payload = redis.call('HGET', KEYS[3], id)
  if payload then
    redis.call('ZADD', KEYS[2], until_, id)
    out[#out + 1] = id
    out[#out + 1] = payload
    out[#out + 1] = redis.call('HINCRBY', KEYS[4], id, 1)
    out[#out + 1] = until_
  end
end
local nxt = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local lease = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local wake = -1
if nxt[2] then wake = tonumber(nxt[2]) end
if lease[2] and (wake < 0 or tonumber(lease[2]) < wake) then wake = tonumber(lease[2]) end
out[2] = wake
return out
"""

# KEYS: due, lease, job, tries. ARGV: id, token. Forget the job unless it was re-armed.
_ACK = """
if tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '-1') ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
end
return 1
"""

# KEYS: due, lease, job, tries, dead. ARGV: id, token, delay ms, max attempts, error,
# counts (1: this failure counts toward max attempts; 0: a rate limit, it does not).
_RETRY = """
if tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1]) or '-1') ~= tonumber(ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
local tries = tonumber(redis.call('HGET', KEYS[4], ARGV[1]) or '0')
if ARGV[6] == '0' then
  tries = tries - 1
  redis.call('HSET', KEYS[4], ARGV[1], tries)
end
if tries >= tonumber(ARGV[4]) then
  local payload = redis.call('HGET', KEYS[3], ARGV[1])
  redis.call('HSET', KEYS[5], ARGV[1], cjson.encode({payload = payload, attempts = tries,
    error = ARGV[5]}))
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[4], ARGV[1])
  return 2
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], 'NX', now + tonumber(ARGV[3]), ARGV[1])
return 1
"""


@dataclass(frozen=True)
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


class TimerQueue:
    def __init__(self, redis: Redis, *, lease_seconds: float = 30.0, max_attempts: int = 12):
        self.redis = redis
        self.lease_ms = round(lease_seconds * 1000)
        self.max_attempts = max_attempts
        self._claim = redis.register_script(_CLAIM)
        self._ack = redis.register_script(_ACK)
        self._retry = redis.register_script(_RETRY)

    async def claim(self, limit: int = 100) -> Batch:
        """Lease up to ``limit`` due jobs, earliest first; expired leases are due again."""
        raw = await self._claim(keys=[DUE, LEASE, JOB, TRIES], args=[self.lease_ms, limit])
        jobs = [
            Leased(str(raw[i]), json.loads(raw[i + 1]), int(raw[i + 2]), int(raw[i + 3]))
            for i in range(2, len(raw), 4)
        ]
        wake = int(raw[1])
        return Batch(int(raw[0]), None if wake < 0 else wake, jobs)

    async def ack(self, job: Leased) -> bool:
        """Done: forget the job. False when the lease was lost (another worker has it now)."""
        return bool(await self._ack(keys=[DUE, LEASE, JOB, TRIES], args=[job.id, job.token]))

    async def retry(
        self, job: Leased, delay: float, error: str, *, counts: bool = True, final: bool = False
    ) -> str:
        """Run ``job`` again after ``delay`` seconds; after max attempts (or at once when
        ``final``) it goes to the dead letters.

        Returns ``"retry"``, ``"dead"`` or ``"lost"`` (the lease had expired).
        """
        result = await self._retry(
            keys=[DUE, LEASE, JOB, TRIES, DEAD],
            args=[job.id, job.token, round(delay * 1000), 0 if final else self.max_attempts,
                  error[:500], 1 if counts else 0],
        )
        return {0: "lost", 1: "retry", 2: "dead"}[int(result)]

    async def wait(self, seconds: float) -> None:
        """Block until a due-now job is armed or ``seconds`` pass (holds one connection)."""
        if seconds > 0:
            await self.redis.blpop([WAKE], timeout=max(seconds, 0.01))

    async def dead_letters(self) -> dict[str, dict[str, Any]]:
        raw = cast(dict[str, str], await self.redis.hgetall(DEAD))
        return {k: json.loads(v) for k, v in raw.items()}

    async def pending(self) -> int:
        return int(await self.redis.zcard(DUE)) + int(await self.redis.zcard(LEASE))
