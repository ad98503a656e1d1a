"""The desk in this process: its settings against the stand-in and a Redis, serving HTTP
on loopback as ``serve`` does, and what a test reads back from it or does to it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from bot.bootstrap import Runtime
from bot.config import Settings, load_settings
from bot.domain.tickets import Ticket
from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import SlackStandIn
from bot.web import http_app
from tests.support.servers import free_port
from tests.support.slackreq import SIGNING_SECRET
from tests.support.workspace import AM, CLIENT_CHANNEL, LEAD, TRIAGE


def settings_for(slack: SlackStandIn, redis_url: str, **extra: Any) -> Settings:
    env = {
        "slack_bot_token": "xoxb-test-token", "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.url, "redis_url": redis_url, "triage_channel": TRIAGE,
        "support_lead": LEAD, "support_lead_email": "lead@vendor.example",
        **extra,
    }
    return load_settings(_env_file=None, **env)


@dataclass
class RunningApp:
    runtime: Runtime
    url: str
    slack: SlackStandIn
    client: SlackClientSide
    stop: asyncio.Event


@contextlib.asynccontextmanager
async def serving(runtime: Runtime, slack: SlackStandIn, *, worker: bool = True
                  ) -> AsyncIterator[RunningApp]:
    """The desk serving HTTP on loopback with its worker running, as ``serve`` runs it
    (``worker=False``: as ``serve --no-worker``, the workers being processes of their own)."""
    runner = web.AppRunner(http_app(runtime), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stop = asyncio.Event()
    working = asyncio.create_task(runtime.worker.run(stop) if worker else stop.wait())
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            client = SlackClientSide(url, session, secret=SIGNING_SECRET)
            yield RunningApp(runtime, url, slack, client, stop)
    finally:
        stop.set()
        await working
        await runner.cleanup()


async def register_client(runtime: Runtime, channel: str = CLIENT_CHANNEL, name: str = "Acme Media",
                          manager: str = AM, plan: str = "standard",
                          phone: str | None = "+1 555 0100", language: str | None = None
                          ) -> None:
    """``clients set``, as an operator runs it (the welcome message goes to the stand-in)."""
    from bot.cli.clients import set_client

    await set_client(runtime, channel=channel, name=name, account_manager=manager, plan=plan,
                     phone=phone, language=language)


async def ticket(runtime: Runtime, number: int) -> Ticket:
    """The ticket as the store reads it back."""
    found = await runtime.store.get(number)
    assert found is not None, f"T-{number} is not stored"
    return found.ticket


async def drained(runtime: Runtime, timeout: float = 10.0) -> None:
    """Wait until no job is due or running: everything the desk had to do now is done."""
    deadline = time.monotonic() + timeout
    while await runtime.queue.busy():
        if time.monotonic() > deadline:
            raise AssertionError(f"the queue still has work after {timeout} s")
        await asyncio.sleep(0.02)


async def armed(runtime: Runtime, number: int) -> list[str]:
    """The ids of ticket ``number``'s jobs waiting or running (the queue also holds jobs of
    no ticket for later, such as each client's next monthly statement)."""
    part = runtime.store.layout.of_ticket(number)
    found = [*await runtime.redis.zrange(part.due, 0, -1),
             *await runtime.redis.zrange(part.lease, 0, -1)]
    return [job for job in found if str(number) in job.split(":")]


async def advance(runtime: Runtime, seconds: float) -> None:
    """Move the desk's clock forward (and wake its worker): SLA time passes at once."""
    runtime.clock.advance(seconds)
    await runtime.queue.wake()
