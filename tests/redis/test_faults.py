"""Ordinary faults with the desk's own worker on a real Redis: a reminder whose Slack call
failed while Redis was away goes as soon as Redis is back; one due while Slack or the SMTP
server does not answer goes as soon as it answers again."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.bootstrap import Runtime, open_runtime
from bot.sandbox.records import dm_channel
from bot.sandbox.standin import SlackStandIn
from tests.support.desk import advance, drained, register_client, settings_for
from tests.support.once import BREACH_AT, MINUTE_PLANS, WARNING_AT, marked, open_tickets
from tests.support.servers import SmtpSink, start_redis
from tests.support.workspace import AM, TRIAGE


@asynccontextmanager
async def working(slack: SlackStandIn, redis_url: str, **settings: str
                  ) -> AsyncIterator[tuple[Runtime, str]]:
    """The desk's worker, with Acme's Critical ticket opened and posted; the ticket's key.
    The worker is stopped after the block, once nothing is left to run."""
    async with open_runtime(settings_for(slack, redis_url, plans=json.dumps(MINUTE_PLANS),
                                         **settings), redis_url) as runtime:
        await register_client(runtime, name="Acme")
        [key] = await open_tickets(runtime, 1)
        stop = asyncio.Event()
        worker = asyncio.create_task(runtime.worker.run(stop))
        await slack.wait_for(lambda: marked(slack, TRIAGE, "triage"))
        await drained(runtime)
        yield runtime, key
        await drained(runtime)
        stop.set()
        await worker


async def test_a_reminder_cut_off_from_redis_mid_run_goes_as_soon_as_redis_is_back(
        slack: SlackStandIn, tmp_path: Path) -> None:
    # Slack answers the warning's DM with a 500 while Redis restarts (AOF on): the job
    # cannot write its retry. It is retried as soon as Redis answers again, not when its
    # lease (30 s) runs out.
    server = start_redis(tmp_path / "aof", appendonly=True)
    try:
        async with working(slack, server.url) as (runtime, key):
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
        assert took < 5, f"the warning came {took:.1f} s after Redis was back"
        assert marked(slack, dm_channel(AM), "warning") == Counter({key: 1})
    finally:
        server.stop()


async def test_a_warning_due_in_a_slack_outage_goes_as_soon_as_slack_answers_again(
        slack: SlackStandIn, redis_url: str) -> None:
    # Slack answers 503 to everything for 7.5 s from the warning's due time: its DM is
    # tried at 0, 1, 3 and 7 s, and its backoff would next try it at 15 s. The worker asks
    # Slack once a second whether it answers again, and sends it as soon as it does.
    async with working(slack, redis_url) as (runtime, key):
        for method in ("chat.postMessage", "auth.test"):
            slack.fail(method, status=503, times=10**6)
        await advance(runtime, WARNING_AT)
        await slack.wait_for(lambda: slack.calls_to("chat.postMessage", channel=AM))
        await asyncio.sleep(7.5)
        slack.failures.clear()
        back = time.monotonic()
        await slack.wait_for(lambda: slack.posts(dm_channel(AM)), timeout=20)
        took = time.monotonic() - back
    assert took < 3, f"the warning came {took:.1f} s after Slack answered again"
    assert marked(slack, dm_channel(AM), "warning") == Counter({key: 1})


async def test_a_breach_email_due_while_smtp_refuses_goes_as_soon_as_it_takes_mail(
        slack: SlackStandIn, redis_url: str, smtp_sink: SmtpSink) -> None:
    # The SMTP server answers 451 to every recipient for 7.5 s from the breach: the email
    # is tried at 0, 1, 3 and 7 s. The worker greets the server once a second, and sends
    # the email as soon as it would take one.
    async with working(slack, redis_url, smtp_url=f"smtp://127.0.0.1:{smtp_sink.port}"
                       ) as (runtime, _):
        smtp_sink.refuse_rcpt.extend(["451 4.3.0 try again later"] * 10_000)
        await advance(runtime, BREACH_AT)
        await slack.wait_for(lambda: smtp_sink.sessions > 0)
        await asyncio.sleep(7.5)
        smtp_sink.refuse_rcpt.clear()
        back = time.monotonic()
        await slack.wait_for(lambda: smtp_sink.messages, timeout=20)
        took = time.monotonic() - back
    assert took < 3, f"the breach email came {took:.1f} s after the server took mail again"
    assert len(smtp_sink.messages) == 1
