"""Ordinary faults with the desk's own worker on a real Redis that restarts: a reminder
whose Slack call failed while Redis was away goes as soon as Redis is back."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from pathlib import Path

from bot.bootstrap import open_runtime
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import SlackStandIn
from tests.support.desk import advance, drained, register_client, settings_for
from tests.support.once import MINUTE_PLANS, WARNING_AT, marked, open_tickets
from tests.support.servers import start_redis
from tests.support.workspace import AM, TRIAGE


async def test_a_reminder_cut_off_from_redis_mid_run_goes_as_soon_as_redis_is_back(
        slack: SlackStandIn, tmp_path: Path) -> None:
    # Slack answers the warning's DM with a 500 while Redis restarts (AOF on): the job
    # cannot write its retry. It is retried as soon as Redis answers again, not when its
    # lease (30 s) runs out.
    server = start_redis(tmp_path / "aof", appendonly=True)
    settings = settings_for(slack, server.url, plans=json.dumps(MINUTE_PLANS))
    try:
        async with open_runtime(settings, server.url) as runtime:
            await register_client(runtime, name="Acme")
            [key] = await open_tickets(runtime, 1)
            stop = asyncio.Event()
            worker = asyncio.create_task(runtime.worker.run(stop))
            await slack.wait_for(lambda: marked(slack, TRIAGE, "triage"))
            await drained(runtime)
            slack.fail("chat.postMessage", status=500, channel=AM)
            slack.delays["chat.postMessage"] = 0.5  # ... and takes its time to say so
            await advance(runtime, WARNING_AT)
            await slack.wait_for(lambda: slack.calls_to("chat.postMessage", channel=AM))
            server.kill()  # the DM is in flight
            await asyncio.sleep(0.8)  # Slack's 500 comes back while Redis is down
            server = start_redis(tmp_path / "aof", appendonly=True, port=server.port)
            back = time.monotonic()
            await slack.wait_for(lambda: slack.posts(dm_channel(AM)), timeout=40)
            took = time.monotonic() - back
            await drained(runtime)
            stop.set()
            await worker
        assert took < 5, f"the warning came {took:.1f} s after Redis was back"
        assert marked(slack, dm_channel(AM), "warning") == Counter({key: 1})
    finally:
        server.stop()
