"""The Redis timer queue: due order, leases, fencing, retry, dead letters."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.store import DUE, JOB
from bot.timers import TimerQueue


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


async def arm(redis: Redis, job_id: str, due_in: float) -> None:
    await redis.hset(JOB, job_id, '{"kind": "sync_triage", "ticket": 1}')
    await redis.zadd(DUE, {job_id: round((time.time() + due_in) * 1000)})


async def test_claims_only_due_jobs_in_due_order(redis: Redis) -> None:
    queue = TimerQueue(redis)
    await arm(redis, "b", -1)
    await arm(redis, "a", -2)
    await arm(redis, "later", 60)
    batch = await queue.claim()
    assert [j.id for j in batch.jobs] == ["a", "b"]
    assert batch.next_wake_ms is not None
    assert (await queue.claim()).jobs == []


async def test_an_expired_lease_returns_the_job(redis: Redis) -> None:
    queue = TimerQueue(redis, lease_seconds=0.2)
    await arm(redis, "j", -1)
    first = (await queue.claim()).jobs
    assert [j.attempt for j in first] == [1]
    assert (await queue.claim()).jobs == []
    await asyncio.sleep(0.25)
    again = (await queue.claim()).jobs
    assert [(j.id, j.attempt) for j in again] == [("j", 2)]
    assert not await queue.ack(first[0])  # the first holder lost its lease: fenced off
    assert await queue.ack(again[0])
    assert await queue.pending() == 0


async def test_concurrent_claimers_never_share_a_job(redis: Redis) -> None:
    queue = TimerQueue(redis)
    for i in range(500):
        await arm(redis, f"j{i}", -1)
    batches = await asyncio.gather(*(queue.claim(limit=40) for _ in range(20)))
    ids = [j.id for b in batches for j in b.jobs]
    assert len(ids) == len(set(ids)) == 500


async def test_retry_reschedules_and_dead_letters_after_max_attempts(redis: Redis) -> None:
    queue = TimerQueue(redis, max_attempts=2)
    await arm(redis, "j", -1)
    job = (await queue.claim()).jobs[0]
    assert await queue.retry(job, 0.1, "boom") == "retry"
    assert (await queue.claim()).jobs == []
    await asyncio.sleep(0.15)
    job = (await queue.claim()).jobs[0]
    assert job.attempt == 2
    assert await queue.retry(job, 0.1, "boom again") == "dead"
    dead = await queue.dead_letters()
    assert dead["j"]["error"] == "boom again" and dead["j"]["attempts"] == 2


async def test_rate_limits_do_not_count_toward_dead_letters(redis: Redis) -> None:
    queue = TimerQueue(redis, max_attempts=2)
    await arm(redis, "j", -1)
    for _ in range(4):
        job = (await queue.claim()).jobs[0]
        assert await queue.retry(job, 0, "rate limited", counts=False) == "retry"
        await asyncio.sleep(0.01)
    assert await queue.dead_letters() == {}


async def test_wait_returns_early_when_a_job_is_armed(redis_url: str, redis: Redis) -> None:
    from bot.store import WAKE

    queue = TimerQueue(redis)
    started = time.monotonic()
    waiter = asyncio.create_task(queue.wait(5))
    await asyncio.sleep(0.1)
    await redis.lpush(WAKE, "1")
    await waiter
    assert time.monotonic() - started < 1
