"""The indices of open tickets (real Redis, several partitions): kept by the ticket
scripts with each change, read by merging the partitions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import cast

import pytest
from redis.asyncio import Redis

from bot.adapters.index import Index
from bot.adapters.keys import Layout
from bot.adapters.store import Store
from bot.domain.plans import default_plans
from bot.domain.tickets import Severity, Status, Ticket, Versioned
from bot.domain.transitions import claim, resolve
from bot.domain.urgency import NOT_RUNNING, ByDeadline, urgency
from tests.support.tickets import draft

PLAN = default_plans()["standard"]
HOUR = 3600.0
LAYOUT = Layout(4)


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[Store]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    yield Store(redis, layout=LAYOUT)
    await redis.aclose()


async def opened(store: Store, ticket: Ticket) -> Versioned:
    saved, _ = await store.create(ticket, once=None, once_ttl=60, jobs=[], timers=[],
                                  urgency=urgency(ticket, PLAN, 0.75))
    return saved


async def changed(store: Store, current: Versioned, ticket: Ticket) -> Versioned:
    return await store.save(current, ticket, timers=[], urgency=urgency(ticket, PLAN, 0.75))


async def urgent(store: Store, most: int, channel: str | None = None
                 ) -> tuple[list[int], int]:
    return await Index(store.redis, LAYOUT).most_urgent(most, channel)


async def members(store: Store, key: str) -> dict[int, float]:
    """Every partition's entries of one index (``key``: its name after the namespace)."""
    found: dict[int, float] = {}
    for part in LAYOUT.all:
        entries = await store.redis.zrange(part.ns + key, 0, -1, withscores=True)
        found.update((int(n), float(score)) for n, score in cast(list[tuple[str, float]],
                                                                 entries))
    return found


async def test_each_change_moves_the_ticket_between_its_partitions_indices(
        store: Store) -> None:
    saved = await opened(store, draft())
    n = saved.ticket.number
    due = saved.ticket.created_at + 4 * HOUR
    assert await members(store, "by:due") == {n: round(due * 1000)}
    assert await members(store, "by:nobody") == {n: round(due * 1000)}
    assert await members(store, "by:client:C0ACME0001") == {n: round(due * 1000)}
    assert n in await members(store, "by:risk")

    mine = claim(saved.ticket, "U0STAFF001", saved.ticket.created_at + 1,
                 claim_is_response=False)
    saved = await changed(store, saved, mine)
    assert await members(store, "by:nobody") == {}
    assert await members(store, "by:user:U0STAFF001") == {n: round(due * 1000)}

    moved = replace(saved.ticket, channel="C0ACME0002")
    saved = await changed(store, saved, moved)
    assert await members(store, "by:client:C0ACME0001") == {}
    assert list(await members(store, "by:client:C0ACME0002")) == [n]

    done = resolve(saved.ticket, "U0STAFF001", saved.ticket.created_at + 2, "ok")
    await changed(store, saved, done)
    for key in ("by:due", "by:risk", "by:user:U0STAFF001", "by:client:C0ACME0002"):
        assert await members(store, key) == {}, key


async def test_reads_merge_the_partitions_soonest_first(store: Store) -> None:
    now = 1_700_000_000.0  # fixed: the tickets' partitions are the same each run
    numbers = [(await opened(store, draft(s, at=now - i))).ticket.number
               for i, s in enumerate([Severity.LOW, Severity.CRITICAL, Severity.HIGH,
                                      Severity.CRITICAL, Severity.MEDIUM])]
    assert len({LAYOUT.of_ticket(n).index for n in numbers}) >= 2  # a real merge
    low, crit_1, high, crit_2, medium = numbers
    assert await urgent(store, 3) == ([crit_2, crit_1, high], 5)
    assert await urgent(store, 9, "C0ACME0009") == ([], 0)
    index = Index(store.redis, LAYOUT)
    # An hour on: both criticals breached (the older first), the high one not yet at risk.
    later = now + HOUR + 1
    breached, = await index.ranked([(ByDeadline(), later, 10)])
    assert breached.numbers == [crit_2, crit_1] and breached.total == 2
    risky = await index.at_risk(now + 3.5 * HOUR, 10)
    assert risky.numbers == [high] and risky.total == 1
    assert {low, medium} <= set((await urgent(store, 5))[0])


async def test_the_sweep_puts_tickets_from_before_the_indices_in_them(store: Store) -> None:
    saved, _ = await store.create(draft(), once=None, once_ttl=60, jobs=[], timers=[])
    assert await urgent(store, 5) == ([], 0)
    assert await store.rebuild_many([(saved, [], [])],
                                    [urgency(saved.ticket, PLAN, 0.75)]) == [True]
    assert await urgent(store, 5) == ([saved.ticket.number], 1)
    # Not a ticket changed since it was read.
    later = replace(saved.ticket, status=Status.RESOLVED)
    assert await store.rebuild_many([(Versioned(later, saved.version - 1), [], [])],
                                    [NOT_RUNNING]) == [False]
    assert await urgent(store, 5) == ([saved.ticket.number], 1)
