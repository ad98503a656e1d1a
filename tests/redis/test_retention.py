"""Archiving on a real Redis: resolved tickets of the same millisecond each archived once,
in batches, and events still to send kept; a channel's outcomes found and moved to its new
ID in every partition."""

from __future__ import annotations

from dataclasses import replace

import pytest
from redis.asyncio import Redis

from bot.adapters.keys import Layout
from bot.adapters.outcomes import Outcomes
from bot.adapters.store import Store
from bot.domain.plans import default_plans
from bot.domain.reports import outcome
from bot.domain.tickets import Severity, Ticket
from bot.domain.transitions import resolve
from tests.support.workspace import CLIENT_CHANNEL, STAFF

OTHER = "C0GLOBEX01"


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
    assert len(list((await archive.opened(0, at + 1)).resolved)) == 5
    await redis.aclose()


async def test_a_channels_outcomes_are_found_and_moved_in_every_partition(
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.adapters.outcomes.SCAN", 2)  # pages of a few outcomes
    redis = Redis.from_url(redis_url, decode_responses=True)
    layout = Layout(4)
    store = Store(redis, layout=layout)
    archive = Outcomes(redis, layout)
    plan = default_plans()["standard"]
    at = 1_700_000_000.0
    mine: list[int] = []
    theirs: list[int] = []
    for i in range(12):
        channel = CLIENT_CHANNEL if i % 3 else OTHER
        draft = Ticket(0, channel, STAFF, f"t{i}", "d", Severity.LOW, at - 60)
        current, _ = await store.create(draft, once=f"spread:{i}", once_ttl=60, jobs=[],
                                        timers=[])
        solved = resolve(current.ticket, STAFF, at + i, "Fixed.")
        await store.save(current, solved, timers=[], outcome=outcome(solved, plan))
        (mine if channel == CLIENT_CHANNEL else theirs).append(solved.number)
    mine.sort()
    theirs.sort()
    assert len({layout.of_ticket(n) for n in mine}) > 1
    await archive.archive(at + 4)  # some archived, some not: their outcomes alike
    assert sorted(await archive.of_channel(CLIENT_CHANNEL)) == mine
    before = {o.number: o for o in (await archive.opened(0, at + 100)).resolved}
    assert await archive.relabel([*mine, *theirs], CLIENT_CHANNEL, "C0ACMESHR1") == len(mine)
    assert await archive.of_channel(CLIENT_CHANNEL) == []
    assert sorted(await archive.of_channel("C0ACMESHR1")) == mine
    assert sorted(await archive.of_channel(OTHER)) == theirs
    after = {o.number: o for o in (await archive.opened(0, at + 100)).resolved}
    assert after == {n: replace(o, channel="C0ACMESHR1") if n in mine else o
                     for n, o in before.items()}  # nothing else of them changed
    await redis.aclose()
