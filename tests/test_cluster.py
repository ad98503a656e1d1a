"""On a real Redis Cluster (three masters with a replica each, on loopback): the whole
chain of a ticket, tickets spread over every master, and a master killed mid-burst."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import RedisError

from bot.bootstrap import Runtime, open_runtime
from bot.domain.home import PAGE
from bot.domain.tickets import Severity
from bot.sandbox.standin import SlackStandIn
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from tests.cluster import Cluster, replicated, start_cluster, wait_for_failover
from tests.conftest import (
    AM,
    CLIENT_CHANNEL,
    LEAD,
    STAFF,
    TRIAGE,
    RunningApp,
    SmtpSink,
    register_client,
    serving,
    settings_for,
    ticket,
)
from tests.flows import buttons, click, open_ticket, text_of, triage_post
from tests.once import LEASE, assert_each_once, dm_channel, everything_delivered, marked


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    started = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield started
    started.stop()


@contextlib.asynccontextmanager
async def desk_on(cluster: Cluster, slack: SlackStandIn, smtp: SmtpSink,
                  **extra: Any) -> AsyncIterator[Runtime]:
    settings = settings_for(slack, cluster.url, redis_cluster=True,
                            smtp_url=f"smtp://127.0.0.1:{smtp.port}", intake_limit=1000,
                            **extra)
    async with open_runtime(settings, cluster.url) as runtime:
        await register_client(runtime, name="Acme")
        yield runtime


@contextlib.asynccontextmanager
async def app_on(cluster: Cluster, slack: SlackStandIn, smtp: SmtpSink,
                 **extra: Any) -> AsyncIterator[RunningApp]:
    cluster.flush()
    async with desk_on(cluster, slack, smtp, **extra) as runtime, \
            serving(runtime, slack) as running:
        yield running


async def test_intake_claim_warning_breach_and_email_on_a_cluster(
        cluster: Cluster, slack: SlackStandIn, smtp_sink: SmtpSink) -> None:
    plans = json.dumps({"standard": {"critical": 4}})
    async with app_on(cluster, slack, smtp_sink, plans=plans) as app:
        number = await open_ticket(app, "Checkout down", "Critical", "Every payment fails.")
        post = await triage_post(app, number)
        await click(app, post, "Claim", user=STAFF)
        await slack.wait_for(lambda: "Claim" not in buttons(post))
        warned = await slack.wait_for(
            lambda: slack.calls_to("chat.postMessage", channel=AM), timeout=8)
        breach = await slack.wait_for(
            lambda: slack.calls_to("chat.postMessage", channel=LEAD), timeout=8)
        await slack.wait_for(lambda: smtp_sink.messages and "BREACHED" in text_of(post))
        saved = await ticket(app.runtime, number)
    assert saved.assignee == STAFF and f"<@{STAFF}>" in text_of(post)
    assert f"T-{number}" in warned[0].args["text"] and f"T-{number}" in breach[0].args["text"]
    assert len(smtp_sink.messages) == 1 and f"T-{number}" in smtp_sink.messages[0]["Subject"]


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
    plans = json.dumps({"standard": {"critical": 12}})
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
