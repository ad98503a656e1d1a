"""Each reminder reaches Slack (and each breach email the SMTP server) exactly once:
workers killed mid-work, several workers, Redis restarted, timers lost and swept back.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.adapters.keys import Layout
from bot.adapters.redis_time import RedisTime as Clock
from bot.bootstrap import Runtime, open_runtime
from bot.domain.jobs import FireTimer
from bot.domain.reports import COLUMNS
from bot.domain.sla import SlaEvent, Step, desired_timers
from bot.sandbox.standin import SlackStandIn
from bot.services.reminders import Fired, NotDue
from bot.services.staff import Actor
from tests.cli import ROOT, bot_env
from tests.conftest import (
    AM,
    CLIENT_CHANNEL,
    LEAD,
    STAFF,
    TRIAGE,
    SmtpSink,
    drained,
    register_client,
    settings_for,
    start_redis,
    ticket,
)
from tests.once import (
    LEASE,
    assert_each_once,
    dm_channel,
    everything_delivered,
    marked,
    open_tickets,
)

PLANS = json.dumps({"standard": {"critical": 3}})
SLOW_PLANS = json.dumps({"standard": {"critical": 12}})
RESOLVE_PLANS = json.dumps({"standard": {"critical": 3600, "resolve_within": {"critical": 3}}})
KEYS = Layout()
ONE = KEYS.all[0]


def worker_env(slack: SlackStandIn, redis_url: str, smtp: SmtpSink,
               plans: str = PLANS) -> dict[str, str]:
    # With the slow plan the warning is due at 6 s, the breach at 12 s: a warning whose
    # worker dies is taken over (lease 2 s) well before the breach makes it moot.
    return bot_env(slack, redis_url, PLANS=plans, SMTP_URL=f"smtp://127.0.0.1:{smtp.port}",
                   WARN_AT="0.5" if plans == SLOW_PLANS else "0.75",
                   SUPPORT_LEAD_EMAIL="lead@vendor.example", JOB_LEASE_SECONDS=str(LEASE))


async def start_worker(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "worker", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


@pytest.fixture
def plans() -> str:
    return PLANS


@pytest.fixture
async def desk(slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink, plans: str
               ) -> AsyncIterator[Runtime]:
    """The desk without a worker of its own: the workers under test are processes."""
    async with open_runtime(settings_for(slack, redis_url, plans=plans,
                                         smtp_url=f"smtp://127.0.0.1:{smtp_sink.port}",
                                         warn_at=0.5 if plans == SLOW_PLANS else 0.75,
                                         job_lease_seconds=LEASE, intake_limit=1000),
                            redis_url) as runtime:
        await register_client(runtime, name="Acme")
        yield runtime



@pytest.mark.parametrize("plans", [SLOW_PLANS])
async def test_worker_killed_after_slack_took_a_reminder_but_before_it_acked(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink,
        plans: str) -> None:
    env = worker_env(slack, redis_url, smtp_sink, plans)
    gate = slack.gates[("chat.postMessage", AM)] = asyncio.Event()
    keys = await open_tickets(desk, 1)
    first = await start_worker(env)
    try:
        await slack.wait_for(lambda: slack.held, timeout=10)  # Slack has the DM; no answer yet
        first.send_signal(signal.SIGKILL)
        await first.wait()
        del slack.gates[("chat.postMessage", AM)]
        gate.set()
        second = await start_worker(env)
        try:
            await everything_delivered(slack, smtp_sink, keys)
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 15) == 0
    finally:
        if first.returncode is None:
            first.kill()
    assert_each_once(slack, smtp_sink, keys)


@pytest.mark.parametrize("plans", [SLOW_PLANS])
async def test_burst_with_three_workers_one_killed_midway(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink,
        plans: str) -> None:
    slack.delay = 0.02
    env = worker_env(slack, redis_url, smtp_sink, plans)
    keys = await open_tickets(desk, 30)
    workers = [await start_worker(env) for _ in range(3)]
    try:
        await slack.wait_for(lambda: len(marked(slack, dm_channel(AM), "warning")) >= 5,
                             timeout=15)
        workers[0].send_signal(signal.SIGKILL)
        await workers[0].wait()
        await everything_delivered(slack, smtp_sink, keys, timeout=60)
    finally:
        for worker in workers[1:]:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            await asyncio.wait_for(worker.wait(), 15)
    assert_each_once(slack, smtp_sink, keys)


async def test_sigterm_finishes_the_reminders_in_flight(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink) -> None:
    env = worker_env(slack, redis_url, smtp_sink)
    gate = slack.gates[("chat.postMessage", AM)] = asyncio.Event()
    keys = await open_tickets(desk, 1)
    worker = await start_worker(env)
    await slack.wait_for(lambda: slack.held, timeout=10)
    worker.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.5)
    assert worker.returncode is None  # still finishing the DM in flight
    gate.set()
    assert await asyncio.wait_for(worker.wait(), 15) == 0
    sent = (await ticket(desk, int(keys[0][2:]))).sent
    assert any(s.startswith(f"dm:{keys[0][2:]}:warning:") for s in sent)


async def test_lost_timers_are_swept_back_and_a_missed_breach_fires(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink) -> None:
    keys = await open_tickets(desk, 2)
    # The queue lost (a restore from an old backup, a bad manual edit): timers and the
    # jobs that post the tickets are gone; only the tickets remain.
    await desk.redis.delete("sd:{desk}:q:due", "sd:{desk}:q:job", "sd:{desk}:timers:1001",
                            "sd:{desk}:timers:1002")
    await asyncio.sleep(3.2)  # past every deadline, with no worker running
    worker = await start_worker(worker_env(slack, redis_url, smtp_sink))
    try:
        await slack.wait_for(lambda: len(marked(slack, dm_channel(LEAD), "breach")) == 2
                             and len(marked(slack, TRIAGE, "breach")) == 2, timeout=15)
        await asyncio.sleep(1)
    finally:
        worker.send_signal(signal.SIGTERM)
        await asyncio.wait_for(worker.wait(), 15)
    once = Counter({k: 1 for k in keys})
    assert marked(slack, dm_channel(AM), "warning") == Counter()  # past due: breach only
    assert marked(slack, dm_channel(LEAD), "breach") == once
    # The sweep put back the posts too: each ticket's client thread and triage post, once.
    assert marked(slack, CLIENT_CHANNEL, "client_thread") == once
    assert marked(slack, TRIAGE, "triage") == once
    assert len(smtp_sink.messages) == 2


async def test_tickets_and_timers_survive_a_redis_restart(
        slack: SlackStandIn, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    server = start_redis(tmp_path / "aof", appendonly=True)
    settings = settings_for(slack, server.url, plans=PLANS,
                            smtp_url=f"smtp://127.0.0.1:{smtp_sink.port}")
    try:
        async with open_runtime(settings, server.url) as runtime:
            await register_client(runtime, name="Acme")
            keys = await open_tickets(runtime, 1)
            server.process.kill()
            server.process.wait()
            server = start_redis(tmp_path / "aof", appendonly=True, port=server.port)
            stop = asyncio.Event()
            worker = asyncio.create_task(runtime.worker.run(stop))
            await slack.wait_for(lambda: marked(slack, dm_channel(LEAD), "breach"), timeout=15)
            await asyncio.sleep(1)
            stop.set()
            await worker
            assert marked(slack, dm_channel(AM), "warning") == Counter({keys[0]: 1})
            assert marked(slack, dm_channel(LEAD), "breach") == Counter({keys[0]: 1})
            assert len(smtp_sink.messages) == 1
    finally:
        server.process.terminate()
        server.process.wait()


async def test_timers_lost_while_redis_was_away_are_rebuilt_when_it_answers(
        slack: SlackStandIn, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    # As a failover can: the master dies, and what it took last never reached the replica.
    server = start_redis(tmp_path / "aof", appendonly=True)
    settings = settings_for(slack, server.url, plans=PLANS,
                            smtp_url=f"smtp://127.0.0.1:{smtp_sink.port}")
    try:
        async with open_runtime(settings, server.url) as runtime:
            await register_client(runtime, name="Acme")
            stop = asyncio.Event()
            worker = asyncio.create_task(runtime.worker.run(stop))
            await asyncio.sleep(0.5)  # its first sweep is behind it
            keys = await open_tickets(runtime, 1)
            await slack.wait_for(lambda: marked(slack, TRIAGE, "triage"), timeout=5)
            server.process.kill()
            server.process.wait()
            server = start_redis(tmp_path / "aof", appendonly=True, port=server.port)
            lost = server_client(server.url)
            await lost.delete(ONE.due, ONE.jobs, KEYS.timer_set(int(keys[0][2:])))
            await lost.aclose()
            await slack.wait_for(lambda: marked(slack, dm_channel(LEAD), "breach"), timeout=10)
            stop.set()
            await worker
        assert marked(slack, dm_channel(LEAD), "breach") == Counter({keys[0]: 1})
    finally:
        server.process.terminate()
        server.process.wait()


async def test_plan_edits_and_plan_moves_apply_to_open_tickets(
        slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink) -> None:
    slow = json.dumps({"standard": {"critical": 3600}, "premium": {"critical": 3}})
    async with open_runtime(settings_for(slack, redis_url, plans=slow), redis_url) as runtime:
        await register_client(runtime, name="Acme")
        keys = await open_tickets(runtime, 1)
        # The client moves to premium (3 s for Critical): its open ticket follows.
        await register_client(runtime, name="Acme", plan="premium")
        stop = asyncio.Event()
        worker = asyncio.create_task(runtime.worker.run(stop))
        await slack.wait_for(lambda: marked(slack, dm_channel(LEAD), "breach"), timeout=8)
        stop.set()
        await worker
        assert marked(slack, dm_channel(LEAD), "breach") == Counter({keys[0]: 1})


async def test_a_timer_that_comes_up_early_is_not_lost(
        slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink) -> None:
    # The queue scores in whole ms; a due time of x.0004 s is claimable at x.000 s. Such a
    # firing must put the timer back for its due time, never drop it.
    clock = _FixedFractionClock()
    async with open_runtime(settings_for(slack, redis_url, plans=PLANS), redis_url,
                            clock) as runtime:
        await register_client(runtime, name="Acme")
        keys = await open_tickets(runtime, 1)
        opened = await ticket(runtime, int(keys[0][2:]))
        plan = runtime.plans.of(await runtime.store.client(CLIENT_CHANNEL))
        warning = desired_timers(opened, plan, opened.created_at, 0.75)[0]
        assert warning.step is Step.WARNING
        job = FireTimer(ticket=opened.number, step=warning.step, generation=warning.generation)
        with pytest.raises(NotDue):
            await runtime.reminders.fire(job, warning.due - 0.001)  # a hair early
        stop = asyncio.Event()
        worker = asyncio.create_task(runtime.worker.run(stop))
        await slack.wait_for(lambda: marked(slack, dm_channel(AM), "warning"), timeout=5)
        await drained(runtime)
        stop.set()
        await worker
        assert marked(slack, dm_channel(AM), "warning") == Counter({keys[0]: 1})


class _FixedFractionClock(Clock):
    """Redis's clock with a sub-millisecond fraction of 0.4 ms, as real clocks have."""

    def now(self) -> float:
        return float(int(super().now() * 1000)) / 1000 + 0.0004


def server_client(url: str) -> Redis:
    return Redis.from_url(url, decode_responses=True)


@pytest.mark.parametrize("plans", [RESOLVE_PLANS])
async def test_a_breach_that_fires_while_the_ticket_is_resolved_is_in_its_report(
        desk: Runtime, plans: str, monkeypatch: pytest.MonkeyPatch) -> None:
    [key] = await open_tickets(desk, 1)
    number = int(key[2:])
    desk.clock.advance(4)  # past the resolution deadline; no worker has fired it yet
    opened = await ticket(desk, number)
    [breach] = [t for t in await desk.changes.timers(opened)
                if t.step is Step.RESOLVE_BREACH]
    job = FireTimer(ticket=number, step=breach.step, generation=breach.generation)
    read_events = desk.store.sla_events
    fired: list[Fired | None] = []

    async def fired_meanwhile(n: int) -> list[SlaEvent]:
        # The resolve has read the breaches fired so far; a worker fires one before the
        # resolve writes the ticket.
        found = await read_events(n)
        if not fired:
            fired.append(await desk.reminders.fire(job, desk.clock()))
        return found

    monkeypatch.setattr(desk.store, "sla_events", fired_meanwhile)
    await desk.desk.tickets.resolve(number, "Fixed the gateway.", Actor(STAFF))
    assert fired[0] is not None  # the breach went out
    now = desk.clock()
    report = await desk.desk.reports.build(now - 60, now + 60, "today")
    breaches = [c.name for c in COLUMNS].index("breaches")
    assert [row.values[breaches] for row in report.rows if row.severity == "all"] == [1]
