"""Automatic assignment's state on a real Redis: the round-robin turn is taken atomically
across processes (two clients choosing at the same instant never take the same turn), a
skip lasts its time, and how busy each person is comes from the indices."""

from __future__ import annotations

import asyncio
from collections import Counter

from redis.asyncio import Redis

from bot.adapters.index import Index
from bot.adapters.keys import Layout
from bot.adapters.roster import RedisRoster
from bot.adapters.store import Store
from bot.domain.assignment import assign, choose
from bot.domain.plans import default_plans
from bot.domain.urgency import urgency
from tests.support.tickets import draft

PEOPLE = ["U0STAFF001", "U0STAFF002"]
LAYOUT = Layout(2)


async def test_two_processes_choosing_at_once_never_take_the_same_turn(redis_url: str) -> None:
    clients = [Redis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    try:
        rosters = [RedisRoster(c, Index(c, LAYOUT)) for c in clients]
        chosen = await asyncio.gather(*(
            rosters[i % 2].take_turn(lambda last: choose(PEOPLE, last)) for i in range(40)))
        assert Counter(chosen) == {PEOPLE[0]: 20, PEOPLE[1]: 20}
    finally:
        for c in clients:
            await c.aclose()


async def test_a_skip_lasts_its_time(redis: Redis) -> None:
    roster = RedisRoster(redis, Index(redis, LAYOUT))
    await roster.skip(PEOPLE[0], 0.2)
    assert await roster.skipped(PEOPLE) == {PEOPLE[0]}
    await asyncio.sleep(0.3)
    assert await roster.skipped(PEOPLE) == frozenset()


async def test_busy_counts_the_open_tickets_each_person_holds(redis: Redis) -> None:
    store = Store(redis, layout=LAYOUT)
    plan = default_plans()["standard"]
    for n in range(3):
        ticket = draft()
        saved, _ = await store.create(ticket, once=None, once_ttl=60, jobs=[], timers=[],
                                      urgency=urgency(ticket, plan, 0.75))
        given = assign(saved.ticket, PEOPLE[n % 2], None, saved.ticket.created_at)
        await store.save(saved, given, timers=[], urgency=urgency(given, plan, 0.75))
    roster = RedisRoster(redis, Index(redis, LAYOUT))
    assert await roster.busy([*PEOPLE, "U0NOBODY01"]) == {
        PEOPLE[0]: 2, PEOPLE[1]: 1, "U0NOBODY01": 0}
