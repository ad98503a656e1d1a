"""Ordinary faults with the workers as processes: a worker killed mid-email, or an email
slower than the job's lease, sends it once."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from typing import Any

from bot.sandbox.records import dm_channel
from bot.sandbox.standin import SlackStandIn
from tests.support.once import marked, open_tickets, worker_env
from tests.support.processes import bot_process, bot_processes
from tests.support.servers import SmtpSink
from tests.support.workspace import LEAD


async def test_sigkill_during_the_email_sends_it_once(
        slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink, desk: Any) -> None:
    env = worker_env(slack, redis_url, smtp_sink)
    smtp_sink.slow = 1.5
    keys = await open_tickets(desk, 1)
    async with bot_process("worker", env=env) as first:
        await slack.wait_for(lambda: smtp_sink.sessions >= 1, timeout=15)  # mid-email
        first.send_signal(signal.SIGKILL)
        await first.wait()
        async with bot_process("worker", env=env):
            await slack.wait_for(lambda: smtp_sink.messages, timeout=20)
            await asyncio.sleep(3)
    assert [m["Subject"].split()[2] for m in smtp_sink.messages] == keys
    assert marked(slack, dm_channel(LEAD), "breach") == Counter({keys[0]: 1})


async def test_an_email_slower_than_its_lease_is_sent_once(
        slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink, desk: Any) -> None:
    # Two workers; the SMTP relay takes twice the lease to answer. The worker sending it
    # keeps renewing its lease, so the other never takes the job over.
    env = worker_env(slack, redis_url, smtp_sink)
    smtp_sink.slow = 4.0
    keys = await open_tickets(desk, 1)
    async with bot_processes(2, "worker", env=env, grace=20):
        await slack.wait_for(lambda: smtp_sink.messages, timeout=25)
        await asyncio.sleep(3)
    assert smtp_sink.sessions == 1
    assert [m["Subject"].split()[2] for m in smtp_sink.messages] == keys
