"""What the benchmarks share: a real Redis, the Slack stand-in, the app as a process, load,
and counting Redis round trips."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import ROOT, bot_env
from tests.support.processes import stop
from tests.support.servers import free_port, start_redis
from tests.support.slackreq import SIGNING_SECRET
from tests.support.workspace import CLIENT_CHANNEL, STAFF, STAFF_2, TRIAGE

__all__ = ["CLIENT_CHANNEL", "STAFF", "STAFF_2", "TRIAGE"]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99),
            "max": ordered[-1], "mean": statistics.fmean(ordered)}


def show(label: str, stats: dict[str, float], unit: str = "ms", scale: float = 1000) -> None:
    print(f"  {label:<28} n={int(stats['n']):>5}  p50={stats['p50'] * scale:8.2f}{unit}  "
          f"p95={stats['p95'] * scale:8.2f}{unit}  p99={stats['p99'] * scale:8.2f}{unit}  "
          f"max={stats['max'] * scale:8.2f}{unit}")


@asynccontextmanager
async def redis_server(tmp: Path) -> AsyncIterator[str]:
    server = start_redis(tmp / "redis")
    try:
        yield server.url
    finally:
        server.stop()


def external(i: int) -> str:
    """The user ID of the bench's ``i``-th member of the client's organisation."""
    return f"U0EXT{i:06d}"


def prepared(delay: float, clients: int = 0) -> SlackStandIn:
    """A stand-in that knows the bench's users (``clients`` of them of the client's
    organisation) and channels."""
    slack = SlackStandIn(delay=delay)
    for user in (STAFF, STAFF_2, "U0AMGR0001", "U0LEAD0001"):
        slack.add_user(user)
    for i in range(clients):
        slack.add_user(external(i), team_id="T0OTHER001")
    slack.add_channel(TRIAGE, "support-triage")
    slack.add_channel(CLIENT_CHANNEL, "acme-support")
    return slack


@asynccontextmanager
async def standin_process(delay: float, clients: int = 0) -> AsyncIterator[str]:
    """The stand-in in its own process; yields its Web API base URL."""
    port = free_port()
    async with process([sys.executable, "-m", "bench.standin", "--port", str(port),
                        "--delay", str(delay), "--clients", str(clients)], dict(os.environ),
                       port, path="/api/api.test") as url:
        yield url + "/api/"


@asynccontextmanager
async def standin(delay: float) -> AsyncIterator[SlackStandIn]:
    slack = prepared(delay)
    await slack.start()
    try:
        yield slack
    finally:
        await slack.stop()


@asynccontextmanager
async def process(args: list[str], env: dict[str, str], port: int,
                  path: str = "/slack/events") -> AsyncIterator[str]:
    """Run ``args`` (a server on ``port``) until the block ends; yields its base URL."""
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(400):
                try:
                    async with session.post(url + path, data="") as r:
                        if r.status:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            else:
                raise RuntimeError(f"{' '.join(args)} did not come up")
        yield url
    finally:
        await stop(proc)


def serve_args(*extra: str) -> list[str]:
    return [sys.executable, "-m", "bot", "serve", *extra]


def serve_env(slack_url: str, redis_url: str, port: int, **extra: str) -> dict[str, str]:
    return bot_env(None, redis_url, PORT=str(port), INTAKE_LIMIT="1000000",
                   SLACK_BOT_TOKEN="xoxb-test-token",
                   SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_API_URL=slack_url,
                   TRIAGE_CHANNEL=TRIAGE, SUPPORT_LEAD="U0LEAD0001", **extra)


class RedisCounts:
    """Redis round trips and commands sent while ``counting``, in this process.

    A command on its own is one trip; a pipeline is one trip for all its commands (with
    MULTI and EXEC around a transaction), plus the ``SCRIPT EXISTS`` redis-py sends before
    a pipeline that runs scripts (and a ``SCRIPT LOAD`` per script Redis does not have yet).
    """

    def __init__(self) -> None:
        self.trips = 0
        self.commands = 0
        self.on = False

    @contextmanager
    def counting(self) -> Iterator[None]:
        self.on = True
        try:
            yield
        finally:
            self.on = False

    def reset(self) -> None:
        self.trips = self.commands = 0

    def add(self, trips: int, commands: int) -> None:
        if self.on:
            self.trips += trips
            self.commands += commands


_counters: list[RedisCounts] = []


def instrument(counts: RedisCounts) -> None:
    """Have redis-py's command and pipeline execution report to ``counts`` (the wrapping is
    installed once per process; every instrumented counter sees every call)."""
    _counters.append(counts)
    if len(_counters) > 1:
        return
    original_command = Redis.execute_command
    original_immediate = Pipeline.immediate_execute_command
    original_pipeline = Pipeline.execute

    def add(trips: int, commands: int) -> None:
        for counter in _counters:
            counter.add(trips, commands)

    async def command(self: Redis, *args: Any, **options: Any) -> Any:
        add(1, 1)
        return await original_command(self, *args, **options)  # type: ignore[no-untyped-call]

    async def immediate(self: Pipeline, *args: Any, **options: Any) -> Any:
        add(1, 1)  # WATCH and what follows it, and SCRIPT EXISTS / LOAD before a pipeline
        return await original_immediate(self, *args, **options)  # type: ignore[no-untyped-call]

    async def pipeline(self: Pipeline, raise_on_error: bool = True) -> Any:
        if self.command_stack:
            wrapped = 2 if self.is_transaction or self.explicit_transaction else 0  # MULTI, EXEC
            add(1, len(self.command_stack) + wrapped)
        return await original_pipeline(self, raise_on_error)

    Redis.execute_command = command  # type: ignore[method-assign]
    Pipeline.immediate_execute_command = immediate  # type: ignore[method-assign]
    Pipeline.execute = pipeline  # type: ignore[method-assign]
