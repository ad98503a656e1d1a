"""The sweep on a real Redis: a ticket left in place by its record is one with nothing to
repair; each thing that makes a ticket need repair brings it back to be worked out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest
from redis.asyncio import Redis

from bot.adapters.keys import Layout
from bot.adapters.redis_time import RedisTime
from bot.adapters.store import Store
from bot.domain.assignment import assign
from bot.domain.jobs import AutoAssign
from bot.domain.plans import STANDARD, Plan, default_plans
from bot.domain.sla import desired_timers
from bot.domain.tickets import Client, Severity, Ticket
from bot.domain.transitions import claim
from bot.domain.urgency import urgency
from bot.services.plans import Plans
from bot.services.sweep import Sweeper, SweepResult
from tests.support.tickets import draft

WARN_AT = 0.75
HOUR = 3600.0
LAYOUT = Layout(2)
CLIENT = "C0ACME0001"


@dataclass
class Desk:
    store: Store
    clock: RedisTime
    plans: dict[str, Plan]
    auto_assign: bool = False
    reassign_after: float | None = None

    def sweeper(self, warn_at: float = WARN_AT) -> Sweeper:
        return Sweeper(self.store, Plans(self.store, self.plans), warn_at, self.clock,
                       self.auto_assign, self.reassign_after)

    async def sweep(self) -> SweepResult:
        return await self.sweeper().sweep()

    async def open(self, ticket: Ticket | None = None) -> int:
        """A ticket with both its posts made, its timers armed and in the indices."""
        now, plan = self.clock(), self.plans[STANDARD]
        ticket = replace(ticket or draft(Severity.HIGH, CLIENT, at=now), client_ts="1.000001",
                         triage_ts="1.000002")
        saved, _ = await self.store.create(
            ticket, once=None, once_ttl=60, jobs=[], urgency=urgency(ticket, plan, WARN_AT),
            timers=desired_timers(ticket, plan, now, WARN_AT))
        return saved.ticket.number

    async def timers(self, n: int) -> dict[str, float | None]:
        """The ticket's timers, each with its due (ms) in the queue (None: not queued)."""
        due = LAYOUT.of_ticket(n).due
        ids = sorted(str(i) for i in await self.store.redis.smembers(LAYOUT.timer_set(n)))
        return {i: await self.store.redis.zscore(due, i) for i in ids}

    async def version(self, n: int) -> int:
        current = await self.store.get(n)
        assert current is not None
        return current.version


@pytest.fixture
async def desk(redis_url: str) -> AsyncIterator[Desk]:
    redis = Redis.from_url(redis_url, decode_responses=True)
    clock = RedisTime()
    await clock.calibrate(redis)
    yield Desk(Store(redis, clock.shift_ms, LAYOUT), clock, default_plans())
    await redis.aclose()


async def swept_twice(desk: Desk, count: int) -> None:
    """The first sweep records what it rebuilt each ticket from; the second leaves them."""
    first = await desk.sweep()
    assert (first.tickets, first.in_place) == (count, 0)
    second = await desk.sweep()
    assert (second.tickets, second.in_place, second.skipped) == (count, count, 0)


async def test_a_ticket_with_everything_in_place_is_left_as_it_is(desk: Desk) -> None:
    numbers = [await desk.open() for _ in range(3)]
    before = {n: (await desk.version(n), await desk.timers(n)) for n in numbers}
    await swept_twice(desk, 3)
    assert {n: (await desk.version(n), await desk.timers(n)) for n in numbers} == before
    assert all(None not in timers.values() and len(timers) == 2
               for _, timers in before.values())


async def test_a_timer_deleted_from_the_queue_comes_back(desk: Desk) -> None:
    lost, _ = await desk.open(), await desk.open()
    await swept_twice(desk, 2)
    armed = await desk.timers(lost)
    gone = next(iter(armed))
    part = LAYOUT.of_ticket(lost)
    await desk.store.redis.zrem(part.due, gone)
    await desk.store.redis.hdel(part.jobs, gone)
    result = await desk.sweep()
    assert (result.tickets, result.in_place) == (2, 1)
    assert await desk.timers(lost) == armed
    assert await desk.store.redis.hget(part.jobs, gone)


async def test_a_flushed_queue_brings_every_ticket_back(desk: Desk) -> None:
    numbers = [await desk.open() for _ in range(4)]
    await swept_twice(desk, 4)
    armed = {n: await desk.timers(n) for n in numbers}
    for part in LAYOUT.all:
        await desk.store.redis.delete(part.due, part.jobs, part.tries)
    result = await desk.sweep()
    assert (result.tickets, result.in_place) == (4, 0)
    assert {n: await desk.timers(n) for n in numbers} == armed


async def test_a_changed_plan_or_warning_share_rearms_the_timers(desk: Desk) -> None:
    n = await desk.open()
    await swept_twice(desk, 1)
    before = await desk.timers(n)
    plan = desk.plans[STANDARD]
    desk.plans[STANDARD] = replace(plan, targets={**plan.targets, Severity.HIGH: 2 * 3600})
    result = await desk.sweep()
    assert result.in_place == 0
    moved = await desk.timers(n)
    assert moved.keys().isdisjoint(before.keys())  # new deadline: new timer ids
    assert max(v for v in moved.values() if v) < max(v for v in before.values() if v)
    assert (await desk.sweep()).in_place == 1
    # The warning share is part of what the timers are worked out from.
    assert (await desk.sweeper(warn_at=0.5).sweep()).in_place == 0
    assert min(v for v in (await desk.timers(n)).values() if v) < min(
        v for v in moved.values() if v)  # the warning, earlier


async def test_a_client_moved_to_another_plan_is_worked_out_again(desk: Desk) -> None:
    n = await desk.open()
    await swept_twice(desk, 1)
    before = await desk.timers(n)
    plan = desk.plans[STANDARD]
    desk.plans["premium"] = replace(plan, name="premium",
                                    targets={**plan.targets, Severity.HIGH: 3600})
    await desk.store.put_client(Client(CLIENT, "Acme", "premium", "U0AM000001"))
    assert (await desk.sweep()).in_place == 0
    assert (await desk.timers(n)).keys().isdisjoint(before.keys())


async def test_a_ticket_changed_or_marked_since_is_worked_out_again(desk: Desk) -> None:
    changed, disarmed, bumped, marked, same = [await desk.open() for _ in range(5)]
    await swept_twice(desk, 5)
    current = await desk.store.get(changed)
    assert current is not None
    await desk.store.save(current, claim(current.ticket, "U0STAFF001", desk.clock(),
                                         claim_is_response=False),
                          timers=[])  # a change that armed no timers (say, a bad write)
    current = await desk.store.get(disarmed)
    assert current is not None
    assert await desk.store.commit_effects(current, timers=[])  # no new version, no mark
    await desk.store.redis.hincrby(LAYOUT.ticket_hash(bumped), "version", 1)
    await desk.store.mark_done(marked, "something went out")
    result = await desk.sweep()
    assert (result.tickets, result.in_place) == (5, 1)
    assert None not in (await desk.timers(same)).values()
    for n in (changed, disarmed):
        assert len(await desk.timers(n)) == 2  # its warning and breach, armed again


async def test_a_timer_come_due_since_is_worked_out_again(desk: Desk) -> None:
    n = await desk.open()
    await swept_twice(desk, 1)
    warning, breach = sorted((await desk.timers(n)).items(), key=lambda kv: kv[1] or 0)
    # Past the deadline, with the worker down: only the breach is left, due at once.
    desk.clock.advance(4 * HOUR + 60)
    result = await desk.sweep()
    assert result.in_place == 0
    assert await desk.timers(n) == dict([breach])
    assert not await desk.store.redis.zscore(LAYOUT.of_ticket(n).due, warning[0])


async def test_a_ticket_missing_from_the_index_or_a_post_is_worked_out_again(
        desk: Desk) -> None:
    indexed, unposted = await desk.open(), await desk.open()
    await swept_twice(desk, 2)
    await desk.store.redis.delete(*{LAYOUT.of_ticket(n).by_due for n in (indexed, unposted)})
    result = await desk.sweep()
    assert result.in_place == 0
    for n in (indexed, unposted):
        assert await desk.store.redis.zscore(LAYOUT.of_ticket(n).by_due, str(n))
    # A post still to come (its job lost): every sweep works it out and arms it again.
    await desk.store.redis.hdel(LAYOUT.ticket_hash(unposted), "triage_ts")
    for _ in range(2):
        again = await desk.sweep()
        assert (again.in_place, again.repaired) == (1, 1)


async def test_a_lost_assignment_job_or_hand_over_check_comes_back_when_it_was_due(
        desk: Desk) -> None:
    desk.auto_assign, desk.reassign_after = True, 600.0
    never = await desk.open()
    at = desk.clock()
    given = await desk.open(assign(draft(Severity.HIGH, CLIENT, at=at), "U0STAFF001", None, at))
    jobs = {AutoAssign(ticket=never).id: (never, None),
            AutoAssign(ticket=given, after=0).id: (given, round((at + 600) * 1000))}
    await swept_twice(desk, 2)
    for job_id, (n, due) in jobs.items():
        part = LAYOUT.of_ticket(n)
        assert await desk.store.redis.hget(part.jobs, job_id)
        if due is not None:
            assert await desk.store.redis.zscore(part.due, job_id) == due
        # Deleted from the queue (a bad manual edit, a job dropped): the ticket is not in
        # place, and its job comes back, due when it was to be.
        await desk.store.redis.zrem(part.due, job_id)
        await desk.store.redis.hdel(part.jobs, job_id)
        result = await desk.sweep()
        assert (result.tickets, result.in_place) == (2, 1)
        assert await desk.store.redis.hget(part.jobs, job_id)
        if due is not None:
            assert await desk.store.redis.zscore(part.due, job_id) == due
        assert (await desk.sweep()).in_place == 2


async def test_changed_assignment_settings_bring_every_ticket_back(desk: Desk) -> None:
    at = desk.clock()
    given = await desk.open(assign(draft(Severity.HIGH, CLIENT, at=at), "U0STAFF001", None, at))
    await swept_twice(desk, 1)
    check = AutoAssign(ticket=given, after=0).id
    part = LAYOUT.of_ticket(given)
    for auto_assign, reassign_after in [(False, 600.0), (True, 600.0), (True, 900.0),
                                        (False, None)]:
        desk.auto_assign, desk.reassign_after = auto_assign, reassign_after
        assert (await desk.sweep()).in_place == 0
        assert (await desk.sweep()).in_place == 1
    # REASSIGN_AFTER set brought the check, due from the assignment.
    assert await desk.store.redis.zscore(part.due, check) == round((at + 600) * 1000)
