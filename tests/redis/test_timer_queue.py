"""The Redis job queue: due order, leases, renewal, fencing, re-arming, retry, dead letters.

Jobs are armed the way the desk arms them (``Store.enqueue``) and read back through the
queue's own calls.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis

from bot.adapters.queue import JobQueue
from bot.adapters.store import Store
from bot.domain.jobs import Armed, StatusNotice, SyncTriage


async def arm(redis: Redis, number: int, due_in: float) -> str:
    job = SyncTriage(ticket=number)
    await Store(redis).enqueue(Armed(job, time.time() + due_in))
    return job.id


async def test_claims_only_due_jobs_in_due_order(redis: Redis) -> None:
    queue = JobQueue(redis)
    b = await arm(redis, 2, -1)
    a = await arm(redis, 1, -2)
    await arm(redis, 3, 60)
    batch = await queue.claim()
    assert [j.id for j in batch.jobs] == [a, b]
    assert batch.jobs[0].payload == {"kind": "sync_triage", "ticket": 1}
    assert batch.next_wake_ms is not None
    assert (await queue.claim()).jobs == []


async def test_an_expired_lease_returns_the_job(redis: Redis) -> None:
    queue = JobQueue(redis, lease_seconds=0.2)
    await arm(redis, 1, -1)
    first = (await queue.claim()).jobs
    assert [j.attempt for j in first] == [1]
    assert (await queue.claim()).jobs == []
    await asyncio.sleep(0.25)
    again = (await queue.claim()).jobs
    assert [j.attempt for j in again] == [2]
    assert not await queue.ack(first[0])  # the first holder lost its lease: fenced off
    assert not await queue.renew(first[0])
    assert await queue.ack(again[0])
    assert await queue.pending() == 0


async def test_a_renewed_lease_outlives_its_first_expiry(redis: Redis) -> None:
    queue = JobQueue(redis, lease_seconds=0.3)
    await arm(redis, 1, -1)
    held = (await queue.claim()).jobs[0]
    for _ in range(3):
        await asyncio.sleep(0.15)
        assert await queue.renew(held)
    assert (await queue.claim()).jobs == []  # nobody else got it, 0.45 s after the claim
    assert await queue.ack(held)


async def test_a_job_armed_again_while_it_runs_runs_once_more_after(redis: Redis) -> None:
    queue = JobQueue(redis)
    job_id = await arm(redis, 1, -1)
    running = (await queue.claim()).jobs[0]
    await arm(redis, 1, -1)  # a change while the triage post is being updated
    assert (await queue.claim()).jobs == []  # never twice at once
    assert await queue.ack(running)
    rerun = (await queue.claim()).jobs
    assert [j.id for j in rerun] == [job_id]
    assert await queue.ack(rerun[0])
    assert await queue.pending() == 0


async def test_concurrent_claimers_never_share_a_job(redis: Redis) -> None:
    queue = JobQueue(redis)
    for i in range(500):
        await arm(redis, i, -1)
    batches = await asyncio.gather(*(queue.claim(limit=40) for _ in range(20)))
    ids = [j.id for b in batches for j in b.jobs]
    assert len(ids) == len(set(ids)) == 500


async def test_retry_reschedules_and_dead_letters_after_max_attempts(redis: Redis) -> None:
    queue = JobQueue(redis, max_attempts=2)
    job_id = await arm(redis, 1, -1)
    job = (await queue.claim()).jobs[0]
    assert await queue.retry(job, 0.1, "boom") == "retry"
    assert (await queue.claim()).jobs == []
    await asyncio.sleep(0.15)
    job = (await queue.claim()).jobs[0]
    assert job.attempt == 2
    assert await queue.retry(job, 0.1, "boom again") == "dead"
    dead = await queue.dead_letters()
    assert dead[job_id]["error"] == "boom again" and dead[job_id]["attempts"] == 2


async def test_arming_again_keeps_a_deferral_and_its_attempts(redis: Redis) -> None:
    # The sweep or a change re-arms a job that Slack rate-limited: it still waits its
    # Retry-After, and its attempts are not reset.
    queue = JobQueue(redis, max_attempts=2)
    await arm(redis, 1, -1)
    job = (await queue.claim()).jobs[0]
    assert await queue.retry(job, 0.5, "boom") == "retry"
    await arm(redis, 1, -1)
    assert (await queue.claim()).jobs == []
    await asyncio.sleep(0.55)
    job = (await queue.claim()).jobs[0]
    assert job.attempt == 2


async def test_rate_limits_do_not_count_toward_dead_letters(redis: Redis) -> None:
    queue = JobQueue(redis, max_attempts=2)
    await arm(redis, 1, -1)
    for _ in range(4):
        job = (await queue.claim()).jobs[0]
        assert await queue.retry(job, 0, "rate limited", counts=False) == "retry"
        await asyncio.sleep(0.01)
    assert await queue.dead_letters() == {}


async def test_wait_returns_when_a_job_becomes_the_earliest_due(redis: Redis) -> None:
    queue = JobQueue(redis)
    await arm(redis, 1, 60)
    await queue.wait(0.01)  # the wake-up that first job gave
    started = time.monotonic()
    waiter = asyncio.create_task(queue.wait(5))
    await asyncio.sleep(0.1)
    assert not waiter.done()
    await arm(redis, 2, 30)  # not due yet, but earlier than anything queued
    await asyncio.wait_for(waiter, 2)
    assert time.monotonic() - started < 1


async def test_wait_sleeps_through_a_job_armed_later_than_the_earliest(redis: Redis) -> None:
    queue = JobQueue(redis)
    await arm(redis, 1, 30)
    await queue.wait(0.01)  # the wake-up that first job gave
    waiter = asyncio.create_task(queue.wait(0.5))
    await arm(redis, 2, 60)
    await asyncio.sleep(0.3)
    assert not waiter.done()
    await waiter


async def test_a_status_notice_keeps_its_own_id(redis: Redis) -> None:
    # Two notices of one ticket are two jobs: one failing never stops the other.
    queue = JobQueue(redis)
    store = Store(redis)
    for change in (0, 1):
        await store.enqueue(Armed(StatusNotice(ticket=7, change=change)))
    assert sorted(j.id for j in (await queue.claim()).jobs) == ["status:7:0", "status:7:1"]


async def test_a_change_during_a_jobs_last_attempt_still_goes_out(redis: Redis) -> None:
    # Regression: the dead letter of the failed attempt dropped the re-arm a change made
    # meanwhile, so the triage post stayed on the old state.
    queue = JobQueue(redis)
    job_id = await arm(redis, 1, -1)
    running = (await queue.claim()).jobs[0]
    await arm(redis, 1, -1)  # a claim while Slack refuses the update
    assert await queue.retry(running, 0, "channel_not_found", final=True) == "dead"
    assert job_id in await queue.dead_letters()
    assert [j.id for j in (await queue.claim()).jobs] == [job_id]


async def test_a_job_whose_lease_keeps_expiring_is_dead_lettered(
        redis: Redis, monkeypatch: pytest.MonkeyPatch) -> None:
    # Regression: a job that kills or stalls its worker every time went round forever.
    import bot.adapters.queue

    monkeypatch.setattr(bot.adapters.queue, "MAX_CLAIMS", 3)
    queue = JobQueue(redis, lease_seconds=0.05)
    job_id = await arm(redis, 1, -1)
    for _ in range(3):
        assert [j.id for j in (await queue.claim()).jobs] == [job_id]
        await asyncio.sleep(0.06)  # the worker died: its lease runs out
    assert (await queue.claim()).jobs == []
    assert "lease expired every time" in (await queue.dead_letters())[job_id]["error"]
    assert await queue.pending() == 0


async def test_a_timer_fires_once_even_when_two_runs_commit(redis: Redis) -> None:
    # Regression: two runs of one timer (a stalled worker's and its successor's) both
    # committed, so every message and the breach event went out twice.
    from bot.domain.jobs import ReminderDM, Role
    from bot.domain.sla import SlaEvent, Step
    from bot.domain.tickets import Severity, Ticket

    store = Store(redis)
    draft = Ticket(number=0, channel="C0ACME0001", reporter="U0CLIENT01", title="t",
                   description="d", severity=Severity.CRITICAL, created_at=time.time())
    saved, _ = await store.create(draft, once=None, once_ttl=60, jobs=[], timers=[])
    fired = SlaEvent("breach:1", "first response", "breach", 1.0, 2.0)
    dm = ReminderDM(ticket=saved.ticket.number, step=Step.BREACH, generation=1,
                    user="U0LEAD0001", role=Role.HEAD_OF_SUPPORT)
    assert await store.commit_effects(saved, marks=["breach:1"], jobs=[Armed(dm)],
                                      fired=fired) is True
    await JobQueue(redis).claim()  # the DM is being sent
    # The other run read the ticket before the firing (which moved its version), or after.
    assert await store.commit_effects(saved, marks=["breach:1"], jobs=[Armed(dm)],
                                      fired=fired) is False
    again = await store.get(saved.ticket.number)
    assert again is not None
    assert await store.commit_effects(again, marks=["breach:1"], jobs=[Armed(dm)],
                                      fired=fired) is None
    assert [e.step for e in await store.sla_events(saved.ticket.number)] == ["breach"]


async def test_a_dead_timer_is_not_brought_back_by_the_sweep(redis: Redis) -> None:
    from bot.domain.sla import Step, Timer
    from bot.domain.tickets import Severity, Ticket

    store = Store(redis)
    draft = Ticket(number=0, channel="C0ACME0001", reporter="U0CLIENT01", title="t",
                   description="d", severity=Severity.CRITICAL, created_at=time.time())
    saved, _ = await store.create(draft, once=None, once_ttl=60, jobs=[], timers=[])
    n = saved.ticket.number
    timer = Timer(Step.BREACH, time.time() - 1, 7)
    await store.mark_done(n, f"failed:timer:{n}:breach:7")
    assert await store.rebuild_many([(saved, [], [timer])]) == [True]
    assert (await JobQueue(redis).claim()).jobs == []


async def test_ticket_numbers_in_what_people_wrote_are_left_alone(redis: Redis) -> None:
    # Regression: the placeholder for a new ticket's number was replaced in every text.
    from bot.domain.jobs import RelayUpdate
    from bot.domain.tickets import Severity, Ticket

    store = Store(redis)
    draft = Ticket(number=0, channel="C0ACME0001", reporter="U0CLIENT01", title="t",
                   description="d", severity=Severity.LOW, created_at=time.time())
    saved, _ = await store.create(draft, once=None, once_ttl=60, jobs=[], timers=[])
    text = "Your order 999999999999 is refunded"
    update = RelayUpdate(ticket=saved.ticket.number, ref="V1", by="U0STAFF001", text=text)
    await store.save(saved, saved.ticket, jobs=[Armed(update)], timers=[])
    [job] = (await JobQueue(redis).claim()).jobs
    assert job.payload["text"] == text
