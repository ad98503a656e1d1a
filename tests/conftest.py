"""Fixtures: a real redis-server, the Slack stand-in, and the app serving HTTP on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
from aiohttp import web
from redis.asyncio import Redis

from bot.adapters.redis_time import RedisTime as Clock
from bot.bootstrap import Runtime, open_runtime
from bot.config import Settings, load_settings
from bot.domain.tickets import Ticket
from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import BOT_USER, SlackStandIn
from bot.web import http_app
from tests.hooks_standin import PagerDuty
from tests.slackreq import SIGNING_SECRET

TRIAGE = "C0TRIAGE01"
CLIENT_CHANNEL = "C0ACME0001"
STAFF = "U0STAFF001"
STAFF_2 = "U0STAFF002"
AM = "U0AMGR0001"
LEAD = "U0LEAD0001"
GUEST = "U0GUEST001"
EXTERNAL = "U0EXTRN001"
CLIENT_USER = "U0CLIENT01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RedisServer:
    url: str
    port: int
    process: subprocess.Popen[bytes]
    dir: Path


def start_redis(directory: Path, *, appendonly: bool = False,
                port: int | None = None) -> RedisServer:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run the README's test command")
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--save", "", "--appendonly", "yes" if appendonly else "no",
         "--appendfsync", "always", "--maxmemory-policy", "noeviction"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    else:
        process.kill()
        raise RuntimeError("redis-server did not start")
    return RedisServer(f"redis://127.0.0.1:{port}/0", port, process, directory)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.process.terminate()
    server.process.wait(10)


@pytest.fixture
async def redis_url(redis_server: RedisServer) -> AsyncIterator[str]:
    r = Redis.from_url(redis_server.url)
    await r.flushall()
    await r.aclose()
    yield redis_server.url


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    standin = SlackStandIn()
    for user in (STAFF, STAFF_2, AM, LEAD):
        standin.add_user(user)
    standin.add_user(GUEST, is_restricted=True)
    standin.add_user(EXTERNAL, team_id="T0OTHER001")
    standin.add_user(CLIENT_USER, team_id="T0OTHER001")
    standin.add_user(BOT_USER, is_bot=True)
    standin.add_channel(TRIAGE, "support-triage")
    standin.add_channel(CLIENT_CHANNEL, "acme-support")
    await standin.start()
    yield standin
    await standin.stop()


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


@pytest.fixture
def clock() -> Clock:
    """The app's clock: tests move it forward (``advance``) instead of sleeping."""
    return Clock()


@pytest.fixture
def settings_extra() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the app's settings."""
    return {}


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


@pytest.fixture
async def app(slack: SlackStandIn, redis_url: str, clock: Clock,
              settings_extra: dict[str, Any]) -> AsyncIterator[RunningApp]:
    """The app serving HTTP on loopback with its worker running, as ``serve`` runs it."""
    async with open_runtime(settings_for(slack, redis_url, **settings_extra), redis_url,
                            clock) as runtime, serving(runtime, slack) as running:
        yield running


@pytest.fixture
async def pagerduty() -> AsyncIterator[PagerDuty]:
    """A stand-in for PagerDuty's Events API v2, on loopback."""
    pager = PagerDuty()
    await pager.start("/v2/enqueue")
    yield pager
    await pager.stop()


@pytest.fixture
def env_without_slack(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "REDIS_", "TRIAGE_", "SUPPORT_", "SMTP_", "PLANS")):
            monkeypatch.delenv(name)


@dataclass
class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    port: int
    messages: list[EmailMessage]
    refuse: list[str]
    """Replies to give instead of accepting, one per message, e.g. ``451 try later``."""
    refuse_rcpt: list[str] = field(default_factory=list)
    """Replies to RCPT TO instead of accepting the recipient, e.g. ``550 no such user``."""
    slow: float = 0.0
    """Seconds to take before answering DATA (a slow relay)."""
    sessions: int = 0
    """Recipients asked for (each attempt to send an email counts one)."""
    quit_reply: str | None = None
    """The reply to QUIT instead of ``221 Bye`` (a relay that closes untidily)."""


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, rcpt_options: list[str]) -> str:
        self.sink.sessions += 1
        if self.sink.refuse_rcpt:
            return self.sink.refuse_rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any  # noqa: N802
                          ) -> str:
        return self.sink.quit_reply or "221 Bye"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.sink.slow:
            await asyncio.sleep(self.sink.slow)
            transport = getattr(server, "transport", None)
            if transport is None or transport.is_closing():
                return "451 the sender went away"  # never delivered: no one got the 250
        if self.sink.refuse:
            return self.sink.refuse.pop(0)
        self.sink.messages.append(
            BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(free_port(), [], [])
    controller = Controller(_SinkHandler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


async def register_client(runtime: Runtime, channel: str = CLIENT_CHANNEL, name: str = "Acme Media",
                          manager: str = AM, plan: str = "standard",
                          phone: str | None = "+1 555 0100") -> None:
    """``clients set``, as an operator runs it (the welcome message goes to the stand-in)."""
    from bot.cli.clients import set_client

    await set_client(runtime, channel=channel, name=name, account_manager=manager, plan=plan,
                     phone=phone)


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
