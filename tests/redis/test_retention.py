"""Archiving on a real Redis: resolved tickets of the same millisecond each archived once,
in batches, and events still to send kept."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.adapters.outcomes import Outcomes
from bot.adapters.store import Store
from bot.domain.plans import default_plans
from bot.domain.reports import outcome
from bot.domain.tickets import Severity, Ticket, resolve
from tests.support.workspace import CLIENT_CHANNEL, STAFF


async def test_archiving_passes_ties_and_keeps_events_still_to_send(
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.adapters.outcomes.BATCH", 2)
    redis = Redis.from_url(redis_url, decode_responses=True)
    store = Store(redis)
    archive = Outcomes(redis, store.layout)
    plan = default_plans()["standard"]
    at = 1_700_000_000.0
    numbers = []
    for i in range(5):  # resolved in the same millisecond
        draft = Ticket(0, CLIENT_CHANNEL, STAFF, f"t{i}", "d", Severity.LOW, at - 60)
        current, _ = await store.create(draft, once=None, once_ttl=60, jobs=[], timers=[])
        solved = resolve(current.ticket, STAFF, at, "Fixed.")
        await store.save(current, solved, timers=[], outcome=outcome(solved, plan))
        numbers.append(solved.number)
    waiting = store.layout.outbox("webhook", numbers[1])
    await redis.rpush(waiting, "{}")  # an event still to send: its delivery needs no ticket
    assert [await archive.archive(at + 1) for _ in range(4)] == [2, 2, 1, 0]
    assert [await store.get(n) for n in numbers] == [None] * 5
    assert await redis.lrange(waiting, 0, -1) == ["{}"]
    assert len(list(await archive.between(0, at + 1))) == 5
    await redis.aclose()
