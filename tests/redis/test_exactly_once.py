"""Each reminder reaches Slack (and each breach email the SMTP server) exactly once with the
desk's own worker on a real Redis: through a Redis restart, timers lost while Redis was
away, plan edits and moves, and a timer claimed a hair before it is due; a breach that fires
while its ticket is being resolved counts in the report."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.adapters.keys import Layout
from bot.adapters.redis_time import RedisTime as Clock
from bot.bootstrap import open_runtime
from bot.domain.jobs import FireTimer
from bot.domain.reports import COLUMNS
from bot.domain.sla import SlaEvent, Step, desired_timers
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import SlackStandIn
from bot.services.reminders import Fired, NotDue
from bot.services.staff import Actor
from tests.support.desk import drained, register_client, settings_for, ticket
from tests.support.once import PLANS, marked, open_tickets
from tests.support.servers import SmtpSink, start_redis
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, STAFF, TRIAGE

RESOLVE_PLANS = json.dumps({"standard": {"critical": 3600, "resolve_within": {"critical": 3}}})
KEYS = Layout()
ONE = KEYS.all[0]


async def test_tickets_and_timers_survive_a_redis_restart(
        slack: SlackStandIn, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    server = start_redis(tmp_path / "aof", appendonly=True)
    settings = settings_for(slack, server.url, plans=PLANS,
                            smtp_url=f"smtp://127.0.0.1:{smtp_sink.port}")
    try:
        async with open_runtime(settings, server.url) as runtime:
            await register_client(runtime, name="Acme")
            keys = await open_tickets(runtime, 1)
            server.kill()
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
        server.stop()


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
            server.kill()
            server = start_redis(tmp_path / "aof", appendonly=True, port=server.port)
            lost = server_client(server.url)
            await lost.delete(ONE.due, ONE.jobs, KEYS.timer_set(int(keys[0][2:])))
            await lost.aclose()
            await slack.wait_for(lambda: marked(slack, dm_channel(LEAD), "breach"), timeout=10)
            stop.set()
            await worker
        assert marked(slack, dm_channel(LEAD), "breach") == Counter({keys[0]: 1})
    finally:
        server.stop()


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


async def test_a_breach_that_fires_while_the_ticket_is_resolved_is_in_its_report(
        slack: SlackStandIn, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async with open_runtime(settings_for(slack, redis_url, plans=RESOLVE_PLANS),
                            redis_url) as desk:
        await register_client(desk, name="Acme")
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
