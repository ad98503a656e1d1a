"""Ordinary faults with the workers as processes: a worker killed mid-email, or an email
slower than the job's lease, sends it once."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from typing import Any

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import start_worker
from tests.support.once import dm_channel, marked, open_tickets, worker_env
from tests.support.servers import SmtpSink
from tests.support.workspace import LEAD


async def test_sigkill_during_the_email_sends_it_once(
        slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink, desk: Any) -> None:
    env = worker_env(slack, redis_url, smtp_sink)
    smtp_sink.slow = 1.5
    keys = await open_tickets(desk, 1)
    first = await start_worker(env)
    try:
        await slack.wait_for(lambda: smtp_sink.sessions >= 1, timeout=15)  # mid-email
        first.send_signal(signal.SIGKILL)
        await first.wait()
        second = await start_worker(env)
        try:
            await slack.wait_for(lambda: smtp_sink.messages, timeout=20)
            await asyncio.sleep(3)
        finally:
            second.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(second.wait(), 15) == 0
    finally:
        if first.returncode is None:
            first.kill()
    assert [m["Subject"].split()[2] for m in smtp_sink.messages] == keys
    assert marked(slack, dm_channel(LEAD), "breach") == Counter({keys[0]: 1})


async def test_an_email_slower_than_its_lease_is_sent_once(
        slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink, desk: Any) -> None:
    # Two workers; the SMTP relay takes twice the lease to answer. The worker sending it
    # keeps renewing its lease, so the other never takes the job over.
    env = worker_env(slack, redis_url, smtp_sink)
    smtp_sink.slow = 4.0
    keys = await open_tickets(desk, 1)
    workers = [await start_worker(env) for _ in range(2)]
    try:
        await slack.wait_for(lambda: smtp_sink.messages, timeout=25)
        await asyncio.sleep(3)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            assert await asyncio.wait_for(worker.wait(), 20) == 0
    assert smtp_sink.sessions == 1
    assert [m["Subject"].split()[2] for m in smtp_sink.messages] == keys
