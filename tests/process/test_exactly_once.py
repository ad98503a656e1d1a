"""Each reminder reaches Slack (and each breach email the SMTP server) exactly once with the
workers as processes: workers killed mid-work, several workers, SIGTERM with a DM in
flight, timers lost and swept back. (Redis restarted: ``tests/redis/test_exactly_once.py``.)
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import pytest

from bot.bootstrap import Runtime
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import SlackStandIn
from tests.support.cli import bot_env
from tests.support.desk import ticket
from tests.support.once import (
    SLOW_PLANS,
    assert_each_once,
    everything_delivered,
    marked,
    open_tickets,
    worker_env,
)
from tests.support.processes import bot_process, bot_processes
from tests.support.servers import SmtpSink
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, TRIAGE


@pytest.mark.parametrize("plans", [SLOW_PLANS])
async def test_worker_killed_after_slack_took_a_reminder_but_before_it_acked(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink,
        plans: str) -> None:
    env = worker_env(slack, redis_url, smtp_sink, plans)
    gate = slack.gates[("chat.postMessage", AM)] = asyncio.Event()
    keys = await open_tickets(desk, 1)
    async with bot_process("worker", env=env) as first:
        await slack.wait_for(lambda: slack.held, timeout=10)  # Slack has the DM; no answer yet
        first.send_signal(signal.SIGKILL)
        await first.wait()
        del slack.gates[("chat.postMessage", AM)]
        gate.set()
        async with bot_process("worker", env=env):
            await everything_delivered(slack, smtp_sink, keys)
    assert_each_once(slack, smtp_sink, keys)


@pytest.mark.parametrize("plans", [SLOW_PLANS])
async def test_burst_with_three_workers_one_killed_midway(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink,
        plans: str) -> None:
    slack.delay = 0.02
    env = worker_env(slack, redis_url, smtp_sink, plans)
    keys = await open_tickets(desk, 30)
    async with bot_processes(3, "worker", env=env) as workers:
        await slack.wait_for(lambda: len(marked(slack, dm_channel(AM), "warning")) >= 5,
                             timeout=15)
        workers[0].send_signal(signal.SIGKILL)
        await workers[0].wait()
        await everything_delivered(slack, smtp_sink, keys, timeout=60)
    assert_each_once(slack, smtp_sink, keys)


@pytest.mark.parametrize("plans", [SLOW_PLANS])
async def test_sigterm_finishes_the_reminders_in_flight(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink) -> None:
    # The slow plan's warning (at 6 s) leaves the worker time to start on a busy machine:
    # started past the breach, it would send the breach alone.
    env = worker_env(slack, redis_url, smtp_sink, plans=SLOW_PLANS)
    gate = slack.gates[("chat.postMessage", AM)] = asyncio.Event()
    keys = await open_tickets(desk, 1)
    async with bot_process("worker", env=env) as worker:
        await slack.wait_for(lambda: slack.held, timeout=15)
        worker.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        assert worker.returncode is None  # still finishing the DM in flight
        gate.set()
        assert await asyncio.wait_for(worker.wait(), 15) == 0
    sent = (await ticket(desk, int(keys[0][2:]))).sent
    assert any(s.startswith(f"dm:{keys[0][2:]}:warning:") for s in sent)


@pytest.mark.parametrize("command", ["worker", "serve"])
async def test_a_stop_while_starting_ends_the_process_cleanly(
        slack: SlackStandIn, redis_url: str, command: str) -> None:
    # An operator's stop right after a start (a restart twice in a row): the process is
    # still loading, nothing is in flight, and it ends with 0 as a stop after start does.
    async with bot_process(command, env=bot_env(slack, redis_url)) as process:
        await asyncio.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 15) == 0


async def test_lost_timers_are_swept_back_and_a_missed_breach_fires(
        desk: Runtime, slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink) -> None:
    keys = await open_tickets(desk, 2)
    # The queue lost (a restore from an old backup, a bad manual edit): timers and the
    # jobs that post the tickets are gone; only the tickets remain.
    await desk.redis.delete("sd:{desk}:q:due", "sd:{desk}:q:job", "sd:{desk}:timers:1001",
                            "sd:{desk}:timers:1002")
    await asyncio.sleep(3.2)  # past every deadline, with no worker running
    async with bot_process("worker", env=worker_env(slack, redis_url, smtp_sink)):
        await slack.wait_for(lambda: len(marked(slack, dm_channel(LEAD), "breach")) == 2
                             and len(marked(slack, TRIAGE, "breach")) == 2, timeout=15)
        await asyncio.sleep(1)
    once = Counter({k: 1 for k in keys})
    assert marked(slack, dm_channel(AM), "warning") == Counter()  # past due: breach only
    assert marked(slack, dm_channel(LEAD), "breach") == once
    # The sweep put back the posts too: each ticket's client thread and triage post, once.
    assert marked(slack, CLIENT_CHANNEL, "client_thread") == once
    assert marked(slack, TRIAGE, "triage") == once
    assert len(smtp_sink.messages) == 2
