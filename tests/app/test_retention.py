"""The resolution index and retention on a real Redis: resolved tickets indexed by
resolution and creation time, archived to their outcome after ``ARCHIVE_AFTER_DAYS``,
dropped after ``RETAIN_DAYS``; thread keys with a TTL; nothing left behind."""

from __future__ import annotations

from typing import Any

import pytest

from bot.adapters.keys import thread_key
from bot.bootstrap import Runtime
from bot.domain.sla import SlaClock
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
    found = runtime.worker.retention
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
    assert found.tickets == 3  # the open one too: a report covers the tickets opened
    outcomes = runtime.desk.reports.outcomes
    read = await outcomes.opened(start, end)
    assert (len(list(read.resolved)), read.unresolved) == (2, [numbers[2]])

    # Reopened, a ticket leaves the index; resolved again, it is back with its new time.
    await runtime.desk.tickets.reopen(numbers[0], Actor(STAFF), channel=CLIENT_CHANNEL)
    assert (await runtime.desk.reports.build(start, end, "today")).tickets == 3
    read = await outcomes.opened(start, end)
    assert (len(list(read.resolved)), sorted(read.unresolved)) == (1, [numbers[0], numbers[2]])
    await advance(runtime, 60)
    await runtime.desk.tickets.resolve(numbers[0], "Fixed again.", Actor(STAFF))
    await drained(runtime)
    end = runtime.clock.now() + 1
    assert (await runtime.desk.reports.build(start, end, "today")).tickets == 3
    ticket = (await runtime.store.get(numbers[1]))
    assert ticket is not None and ticket.ticket.client_ts is not None
    thread = thread_key(CLIENT_CHANNEL, ticket.ticket.client_ts)
    assert 364 * DAY < await redis.ttl(thread) <= 365 * DAY

    # Not yet old enough: nothing archived.
    assert await retention(runtime).run() == (0, 0)
    await advance(runtime, 31 * DAY)
    before = await runtime.desk.reports.build(start, end, "today")
    assert await retention(runtime).run() == (2, 0)
    assert await retention(runtime).run() == (0, 0)  # a second pass finds nothing to do
    layout = runtime.store.layout
    for n in numbers[:2]:
        assert await runtime.store.get(n) is None
        assert not await redis.exists(layout.done_set(n), layout.fired_hash(n),
                                      layout.timer_set(n))
    assert not await redis.exists(thread)
    assert await runtime.store.get(numbers[2]) is not None  # the open one stays
    after = await runtime.desk.reports.build(start, end, "today")
    assert after.csv == before.csv  # the report is the same from the archive records
    # An archived ticket can no longer be rated.
    with pytest.raises(TicketError, match="archived"):
        await runtime.desk.ratings.rate(numbers[1], 5, Actor(CLIENT_USER),
                                        channel=CLIENT_CHANNEL)

    await advance(runtime, 365 * DAY)
    assert await retention(runtime).run() == (0, 2)
    # Only the open one is left to report.
    assert (await runtime.desk.reports.build(0, runtime.clock.now(), "all")).tickets == 1
    part = layout.of_ticket(numbers[0])
    assert await redis.zcard(part.resolved) == 0 and await redis.hlen(part.outcomes) == 0
    assert await redis.zcard(part.created) == 0


async def test_an_outcome_keeps_its_clocks_and_ratings(app: RunningApp) -> None:
    runtime = app.runtime
    await register_client(runtime, name="Acme")
    n = await opened(runtime, 9)
    await drained(runtime)
    await advance(runtime, 2 * DAY)  # past the Low target: a breach fires
    await drained(runtime)
    await runtime.desk.tickets.resolve(n, "Done.", Actor(STAFF))
    await runtime.desk.ratings.rate(n, 2, Actor(CLIENT_USER), channel=CLIENT_CHANNEL)
    read = await runtime.desk.reports.outcomes.opened(0, runtime.clock.now() + 1)
    [found] = list(read.resolved)
    assert read.unresolved == []
    assert found.number == n and found.scores == (2,)
    assert found.breached == frozenset({SlaClock.INITIAL})
    assert SlaClock.INITIAL not in found.durations  # never answered
    assert 2 * DAY <= found.durations[SlaClock.RESOLUTION] < 2 * DAY + 60


async def test_archive_records_kept_before_reports_went_by_creation_count_again(
        app: RunningApp) -> None:
    runtime, redis = app.runtime, app.runtime.redis
    await register_client(runtime, name="Acme")
    numbers = [await opened(runtime, 20 + i) for i in range(2)]
    start = runtime.clock.now() - 1
    for n in numbers:
        await runtime.desk.tickets.resolve(n, "Fixed.", Actor(STAFF))
    await drained(runtime)
    end = runtime.clock.now() + 1
    for part in runtime.store.layout.all:  # a desk of before kept no creation index
        await redis.delete(part.created)
    assert (await runtime.desk.reports.build(start, end, "today")).tickets == 0
    assert await retention(runtime).run() == (0, 0)
    assert (await runtime.desk.reports.build(start, end, "today")).tickets == 2
    assert await redis.zcard(runtime.store.layout.all[0].created) == 2
