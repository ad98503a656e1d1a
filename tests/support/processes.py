"""The desk as real processes: ``python -m bot serve`` or ``worker`` started as an operator
starts them, and stopped as an operator stops them (SIGTERM, then SIGKILL after a grace
period) however the test ends."""

from __future__ import annotations

import asyncio
import json
import signal as signals
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.bootstrap import open_runtime
from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import SlackStandIn
from tests.support.cli import ROOT, bot_env, register_acme
from tests.support.desk import settings_for, ticket
from tests.support.flows import open_modal, submit, triage_post
from tests.support.servers import free_port
from tests.support.slackreq import SIGNING_SECRET

Process = asyncio.subprocess.Process
GRACE = 15.0
"""Seconds a process has to exit after SIGTERM (it finishes what it has in flight)."""


async def stop(*processes: Process, grace: float = GRACE,
               signal: signals.Signals = signals.SIGTERM) -> list[int]:
    """SIGTERM (or ``signal``) to each process still running, then SIGKILL to any still
    running ``grace`` seconds later; their exit codes (0 for a clean stop, -9 for a
    process killed)."""
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal)

    async def ended(process: Process) -> int:
        try:
            return await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            return await process.wait()

    return list(await asyncio.gather(*(ended(p) for p in processes)))


@asynccontextmanager
async def bot_processes(count: int, *args: str, env: dict[str, str], cwd: Path = ROOT,
                        stderr: int = asyncio.subprocess.DEVNULL, grace: float = GRACE
                        ) -> AsyncIterator[list[Process]]:
    """``count`` processes of ``python -m bot *args`` for the block. After it, those still
    running are stopped (``stop``) and must exit 0 on SIGTERM; the ones the block ended
    itself (killed, say) are left as they are. A block that fails stops them all."""
    processes: list[Process] = []
    try:
        for _ in range(count):
            processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", *args, env=env, cwd=cwd,
                stdout=asyncio.subprocess.DEVNULL, stderr=stderr))
        yield processes
    except BaseException:
        await stop(*processes, grace=grace)
        raise
    codes = await stop(*[p for p in processes if p.returncode is None], grace=grace)
    assert all(code == 0 for code in codes), f"python -m bot {args[0]} exited {codes}"


@asynccontextmanager
async def bot_process(*args: str, env: dict[str, str], cwd: Path = ROOT,
                      stderr: int = asyncio.subprocess.DEVNULL) -> AsyncIterator[Process]:
    """``python -m bot *args`` for the block, stopped after it as ``bot_processes`` does."""
    async with bot_processes(1, *args, env=env, cwd=cwd, stderr=stderr) as [process]:
        yield process


@dataclass
class Served:
    """``python -m bot serve`` as Slack sees it: its URL, the stand-in, a signed client."""

    url: str
    slack: SlackStandIn
    client: SlackClientSide
    process: Process


async def healthy(url: str, process: Process) -> None:
    """Wait until ``url``'s /healthz answers 200 (an AssertionError if it never does)."""
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"{url}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if process.returncode is not None:
                break
            await asyncio.sleep(0.05)
    raise AssertionError("python -m bot serve did not come up")


@asynccontextmanager
async def serve(slack: SlackStandIn, redis_url: str, **env: str) -> AsyncIterator[Served]:
    """``python -m bot serve`` on a free port with ``env``, once its /healthz answers 200;
    stopped with SIGTERM after the block, it must exit 0."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    async with bot_process("serve", env=bot_env(slack, redis_url, PORT=str(port), **env)
                           ) as process:
        await healthy(url, process)
        async with aiohttp.ClientSession() as session:
            yield Served(url, slack, SlackClientSide(url, session, secret=SIGNING_SECRET),
                         process)


SECONDS_PLANS = {"PLANS": json.dumps({"standard": {"critical": 4}}),
                 "SUPPORT_LEAD_EMAIL": "lead@vendor.example"}
"""``serve``'s environment for a Critical due in 4 s: warned at 3 s, breached at 4 s."""


async def open_critical(served: Served, redis_url: str) -> tuple[int, float]:
    """Acme registered, T-1001 opened as Critical through the modal; its number and when
    the desk says it was opened."""
    await register_acme(served.slack, redis_url)
    view = await open_modal(served)
    await submit(served, view, title="Payments down", severity="Critical",
                 description="Every checkout fails.")
    await triage_post(served, 1001)
    async with open_runtime(settings_for(served.slack, redis_url), redis_url) as runtime:
        created = (await ticket(runtime, 1001)).created_at
    return 1001, created
