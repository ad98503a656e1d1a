"""The resolution index and retention on a real Redis: resolved tickets indexed by
resolution time, archived to their outcome after ``ARCHIVE_AFTER_DAYS``, dropped after
``RETAIN_DAYS``; thread keys with a TTL; nothing left behind."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.keys import thread_key
from bot.bootstrap import Runtime
from bot.domain.sla import Clock as SlaClock
from bot.domain.tickets import Severity, TicketError
from bot.services.retention import Retention
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from tests.support.desk import RunningApp, advance, drained, register_client
from tests.support.workspace import CLIENT_CHANNEL, CLIENT_USER, STAFF

DAY = 86_400


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    return {"archive_after_days": 30, "retain_days": 365}


async def opened(runtime: Runtime, i: int) -> int:
    done = await runtime.desk.tickets.open(NewTicket(
        channel=CLIENT_CHANNEL, reporter=STAFF, title=f"Ticket {i}", severity=Severity.LOW,
        description="Slow.", once=f"retention:{i}"), Actor(STAFF))
    return done.ticket.number


def retention(runtime: Runtime) -> Retention:
    found = runtime.worker.deps.retention
    assert found is not None
    return found


async def test_resolved_tickets_are_indexed_archived_then_dropped(app: RunningApp) -> None:
    runtime, redis = app.runtime, app.runtime.redis
    await register_client(runtime, name="Acme")
    numbers = [await opened(runtime, i) for i in range(3)]
    await drained(runtime)
    await advance(runtime, 600)
    for n in numbers[:2]:
        await runtime.desk.tickets.resolve(n, "Fixed.", Actor(STAFF))
    await drained(runtime)
    start, end = runtime.clock.now() - DAY, runtime.clock.now() + 1
    found = await runtime.desk.reports.build(start, end, "today")
    assert found.tickets == 2  # the open one is not in the index

    # Reopened, a ticket leaves the index; resolved again, it is back with its new time.
    await runtime.desk.tickets.reopen(numbers[0], Actor(STAFF), channel=CLIENT_CHANNEL)
    assert (await runtime.desk.reports.build(start, end, "today")).tickets == 1
    await advance(runtime, 60)
    await runtime.desk.tickets.resolve(numbers[0], "Fixed again.", Actor(STAFF))
    await drained(runtime)
    before = await runtime.desk.reports.build(start, runtime.clock.now() + 1, "today")
    assert before.tickets == 2
    ticket = (await runtime.store.get(numbers[1]))
    assert ticket is not None and ticket.ticket.client_ts is not None
    thread = thread_key(CLIENT_CHANNEL, ticket.ticket.client_ts)
    assert 364 * DAY < await redis.ttl(thread) <= 365 * DAY

    # Not yet old enough: nothing archived.
    assert await retention(runtime).run() == (0, 0)
    await advance(runtime, 31 * DAY)
    assert await retention(runtime).run() == (2, 0)
    assert await retention(runtime).run() == (0, 0)  # a second pass finds nothing to do
    layout = runtime.store.layout
    for n in numbers[:2]:
        assert await runtime.store.get(n) is None
        assert not await redis.exists(layout.done_set(n), layout.fired_hash(n),
                                      layout.timer_set(n))
    assert not await redis.exists(thread)
    assert await runtime.store.get(numbers[2]) is not None  # the open one stays
    after = await runtime.desk.reports.build(start, runtime.clock.now(), "then")
    assert after.csv == before.csv  # the report is the same from the archive records
    # An archived ticket can no longer be rated.
    with pytest.raises(TicketError, match="archived"):
        await runtime.desk.ratings.rate(numbers[1], 5, Actor(CLIENT_USER),
                                        channel=CLIENT_CHANNEL)

    await advance(runtime, 365 * DAY)
    assert await retention(runtime).run() == (0, 2)
    assert (await runtime.desk.reports.build(0, runtime.clock.now(), "all")).tickets == 0
    part = layout.of_ticket(numbers[0])
    assert await redis.zcard(part.resolved) == 0 and await redis.hlen(part.outcomes) == 0


async def test_an_outcome_keeps_its_clocks_and_ratings(app: RunningApp) -> None:
    runtime = app.runtime
    await register_client(runtime, name="Acme")
    n = await opened(runtime, 9)
    await drained(runtime)
    await advance(runtime, 2 * DAY)  # past the Low target: a breach fires
    await drained(runtime)
    await runtime.desk.tickets.resolve(n, "Done.", Actor(STAFF))
    await runtime.desk.ratings.rate(n, 2, Actor(CLIENT_USER), channel=CLIENT_CHANNEL)
    [found] = await runtime.desk.reports.outcomes.between(0, runtime.clock.now() + 1)
    assert found.number == n and found.scores == (2,)
    assert found.breached == frozenset({SlaClock.INITIAL})
    assert SlaClock.INITIAL not in found.durations  # never answered
    assert 2 * DAY <= found.durations[SlaClock.RESOLUTION] < 2 * DAY + 60
