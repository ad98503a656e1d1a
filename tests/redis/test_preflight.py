"""Dead letters on a real Redis: listed newest first, revived with their attempts reset,
the oldest dropped past the cap, and a job that keeps killing its worker dead-lettered."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest
from redis.asyncio import Redis

from bot.adapters import queue as queue_module
from bot.adapters.keys import Layout
from bot.adapters.queue import JobQueue
from bot.adapters.store import Store
from bot.domain.jobs import Armed, SyncTriage

KEYS = Layout()
ONE = KEYS.all[0]


async def dead_letter(redis: Redis, number: int, error: str = "channel_not_found") -> str:
    """Arm a job, claim it and refuse it for good: it is dead-lettered."""
    queue = JobQueue(redis)
    job = SyncTriage(ticket=number)
    await Store(redis).enqueue(Armed(job, time.time() - 1))
    [leased] = (await queue.claim()).jobs
    assert leased.id == job.id
    assert await queue.retry(leased, 0, error, final=True) == "dead"
    await Store(redis).mark_done(number, f"failed:{job.id}")
    return job.id


async def test_a_revived_dead_letter_runs_again_with_its_attempts_reset(redis: Redis) -> None:
    queue = JobQueue(redis)
    first = await dead_letter(redis, 1001)
    await asyncio.sleep(0.002)
    second = await dead_letter(redis, 1002, "user_disabled")
    letters = await queue.dead_letter_list()
    assert [d.id for d in letters] == [second, first]  # newest first
    assert (letters[0].ticket, letters[0].kind, letters[0].error, letters[0].attempts) == (
        1002, "sync_triage", "user_disabled", 1)
    assert await queue.revive("sync_triage:404") == "unknown"
    assert await queue.revive(first) == "queued"
    assert not await redis.sismember(KEYS.done_set(1001), f"failed:{first}")
    assert await redis.sismember(KEYS.done_set(1002), f"failed:{second}")
    [again] = (await queue.claim()).jobs
    assert (again.id, again.attempt, again.payload["ticket"]) == (first, 1, 1001)
    assert await queue.ack(again)
    assert [d.id for d in await queue.dead_letter_list()] == [second]
    assert await queue.drop(second) and not await queue.drop(second)
    assert await queue.dead_letter_list() == []
    assert await redis.zcard(ONE.dead_at) == 0 and await redis.hlen(ONE.dead) == 0


async def test_the_oldest_dead_letters_are_dropped_past_the_cap(
        redis: Redis, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(queue_module, "DEAD_LETTERS_MAX", 3)
    caplog.set_level(logging.WARNING, logger="bot.adapters.queue")
    # One from before the times of dead letters were kept: it counts as the oldest.
    await redis.hset(ONE.dead, "sync_triage:1", json.dumps(
        {"payload": json.dumps({"kind": "sync_triage", "ticket": 1}), "attempts": 3,
         "error": "old"}))
    ids = []
    for number in range(1001, 1005):
        ids.append(await dead_letter(redis, number))
        await asyncio.sleep(0.002)
    letters = await JobQueue(redis).dead_letter_list()
    assert [d.id for d in letters] == ids[:0:-1]  # the three newest, newest first
    assert await redis.hlen(ONE.dead) == await redis.zcard(ONE.dead_at) == 3
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped == ["dead letters: dropped the 1 oldest (more than 3 are kept)"] * 2


async def test_a_job_that_keeps_killing_its_worker_is_dead_lettered_with_its_time(
        redis: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_module, "MAX_CLAIMS", 1)
    monkeypatch.setattr(queue_module, "DEAD_LETTERS_MAX", 1)
    queue = JobQueue(redis, lease_seconds=0.05)
    await dead_letter(redis, 1001)
    await Store(redis).enqueue(Armed(SyncTriage(ticket=1002), time.time() - 1))
    assert len((await queue.claim()).jobs) == 1
    await asyncio.sleep(0.1)  # the worker died: its lease runs out
    assert (await queue.claim()).jobs == []
    [letter] = await queue.dead_letter_list()
    assert letter.id == "sync_triage:1002" and letter.at_ms is not None
    assert "lease expired every time" in letter.error
