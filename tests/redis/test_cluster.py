"""On a real Redis Cluster (three masters with a replica each, on loopback): tickets spread
over every master, reports, archives and the sweep over every partition, and a master
killed mid-burst. (The whole chain of a ticket through the app: ``tests/app``.)"""

from __future__ import annotations

import asyncio
import json
import signal
from collections import Counter
from pathlib import Path

from redis.exceptions import RedisError

from bot.bootstrap import Runtime
from bot.domain.home import PAGE
from bot.domain.tickets import Severity
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import SlackStandIn
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from tests.support.cluster import Cluster, desk_on, replicated, start_cluster, wait_for_failover
from tests.support.once import LEASE, assert_each_once, everything_delivered, marked
from tests.support.servers import SmtpSink
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, STAFF, TRIAGE


async def low_tickets(desk: Runtime, prefix: str, count: int) -> list[int]:
    """Open ``count`` Low tickets, each its own submission; their numbers."""
    return [(await desk.desk.tickets.open(NewTicket(
        channel=CLIENT_CHANNEL, reporter=STAFF, title=f"Ticket {i}", severity=Severity.LOW,
        description="d", once=f"{prefix}:{i}"), Actor(STAFF))).ticket.number
        for i in range(count)]


async def test_three_hundred_tickets_land_on_every_master(
        cluster: Cluster, slack: SlackStandIn, smtp_sink: SmtpSink) -> None:
    cluster.flush()
    async with desk_on(cluster, slack, smtp_sink) as desk:
        numbers = await low_tickets(desk, "spread", 300)
        found = await desk.store.get_many(numbers)
        # The indices are per partition, merged in one read over every master.
        await desk.desk.tickets.claim(numbers[7], Actor(STAFF))
        listed = await desk.desk.queries.tickets_for(TRIAGE, Actor(STAFF))
        home = await desk.desk.homes.home(Actor(STAFF))
    assert listed.total == 300 and [r.ticket.number for r in listed.rows] == numbers[:25]
    assert [(p.section.value, p.total) for p in home.parts] == [
        ("My tickets", 1), ("Unassigned", 299), ("At risk", 0), ("Breached", 0)]
    assert [r.ticket.number for r in home.parts[1].rows] == \
        [n for n in numbers if n != numbers[7]][:PAGE]
    per_master = {
        node.port: sum(1 for _ in node.client().scan_iter(match="sd:*:ticket:*", count=1000))
        for node in cluster.masters()}
    assert len(set(numbers)) == 300 and all(v is not None for v in found)
    assert sum(per_master.values()) == 300
    # 16 partitions over 3 masters: 5 or 6 partitions, about a third of the tickets, each.
    assert all(count >= 60 for count in per_master.values()), per_master


async def test_a_burst_on_few_connections_waits_for_them_and_none_fails(
        cluster: Cluster, slack: SlackStandIn, smtp_sink: SmtpSink) -> None:
    cluster.flush()
    async with desk_on(cluster, slack, smtp_sink, redis_max_connections=2) as desk:
        opened = await asyncio.gather(*(desk.desk.tickets.open(NewTicket(
            channel=CLIENT_CHANNEL, reporter=STAFF, title=f"Ticket {i}",
            severity=Severity.LOW, description="d", once=f"burst:{i}"), Actor(STAFF))
            for i in range(60)))
        numbers = [o.ticket.number for o in opened]
        found = await asyncio.gather(*(desk.store.get_many(numbers) for _ in range(10)))
    assert len(set(numbers)) == 60
    assert all(v is not None for many in found for v in many)


async def test_reports_and_archives_read_every_partition_of_a_cluster(
        cluster: Cluster, slack: SlackStandIn, smtp_sink: SmtpSink) -> None:
    cluster.flush()
    async with desk_on(cluster, slack, smtp_sink) as desk:
        numbers = await low_tickets(desk, "report", 40)
        now = desk.clock.now()
        swept = await desk.worker.sweeper.sweep()  # a sweep of open tickets, on a cluster
        opened = await desk.desk.reports.build(now - 3600, now + 60, "today")
        for n in numbers:
            await desk.desk.tickets.resolve(n, "Fixed.", Actor(STAFF))
        report = await desk.desk.reports.build(now - 3600, now + 60, "today")
        retention = desk.worker.retention
        assert retention is not None
        desk.clock.advance(31 * 86_400)
        archived, _ = await retention.run()
        after = await desk.desk.reports.build(now - 3600, now + 60, "today")
        left = await desk.store.get_many(numbers)
    partitions = {desk.store.layout.of_ticket(n).index for n in numbers}
    assert len(partitions) == 16  # every partition has its own index, read at once
    assert swept.tickets == 40 and swept.skipped == 0
    assert opened.tickets == report.tickets == 40 and after.csv == report.csv
    assert archived == 40 and left == [None] * 40


async def test_the_sweep_rebuilds_lost_timers_on_a_cluster(
        cluster: Cluster, slack: SlackStandIn, smtp_sink: SmtpSink) -> None:
    cluster.flush()
    plans = json.dumps({"standard": {"critical": 3}})
    async with desk_on(cluster, slack, smtp_sink, plans=plans) as desk:
        keys = [await submitted_until_taken(desk, f"lost:{i}") for i in range(6)]
        # Every partition's queue lost (a failover that lost the master's last writes).
        for part in desk.store.layout.all:
            await desk.redis.delete(part.due, part.jobs)
        for key in keys:
            await desk.redis.delete(desk.store.layout.timer_set(int(key[2:])))
        stop = asyncio.Event()
        worker = asyncio.create_task(desk.worker.run(stop))
        await slack.wait_for(lambda: len(marked(slack, dm_channel(LEAD), "breach")) == 6,
                             timeout=15)
        stop.set()
        await worker
    assert marked(slack, dm_channel(LEAD), "breach") == Counter({k: 1 for k in keys})


async def submitted_until_taken(desk: Runtime, once: str) -> str:
    """Open a ticket as a person does while Redis fails over: an error, so submit the same
    form again (the same submission: it opens one ticket however often it is sent)."""
    for _ in range(40):
        try:
            opened = await desk.desk.tickets.open(NewTicket(
                channel=CLIENT_CHANNEL, reporter=STAFF, title="Down",
                severity=Severity.CRITICAL, description="All of it.", once=once),
                Actor(STAFF))
        except RedisError:
            await asyncio.sleep(0.5)
        else:
            return opened.ticket.key
    raise AssertionError("the cluster never took the ticket")


async def test_a_master_killed_mid_burst_loses_and_doubles_nothing(
        slack: SlackStandIn, smtp_sink: SmtpSink, tmp_path: Path) -> None:
    cluster = start_cluster(tmp_path / "failover")
    slack.delay = 0.02
    # The warning at 10 s, the breach at 20 s: a warning still owed when its breach is due
    # is moot (only the breach is sent), so the failover and the burst's catching up must
    # fit between the two even on a machine busy with other tests.
    plans = json.dumps({"standard": {"critical": 20}})
    try:
        async with desk_on(cluster, slack, smtp_sink, plans=plans, warn_at=0.5,
                           job_lease_seconds=LEASE) as desk:
            stop = asyncio.Event()
            worker = asyncio.create_task(desk.worker.run(stop))
            keys: list[str] = []
            victim = next(n for n in cluster.masters() if n is not cluster.nodes[0])
            for i in range(40):
                if i == 15:
                    replicated(victim)
                    victim.process.send_signal(signal.SIGKILL)
                keys.append(await submitted_until_taken(desk, f"burst:{i}"))
            wait_for_failover(cluster, victim)
            await everything_delivered(slack, smtp_sink, keys, timeout=60)
            stop.set()
            await worker
            found = await desk.store.get_many([int(k[2:]) for k in keys])
    finally:
        cluster.stop()
    assert all(v is not None for v in found) and len(set(keys)) == 40
    assert len(marked(slack, dm_channel(AM), "warning")) == 40
    assert_each_once(slack, smtp_sink, keys)
