"""``python -m bot sandbox`` as a person runs it: started in a folder of its own, used
through its page's API, stopped with Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.cli import ROOT, bot_env
from tests.support.processes import stop
from tests.support.servers import free_port, redis_processes
from tests.support.waiting import until

READY = "The sandbox is ready: open "


@dataclass
class Sandbox:
    url: str
    dir: Path
    process: asyncio.subprocess.Process


async def start_sandbox(folder: Path, *args: str, **env: str) -> Sandbox:
    """``python -m bot sandbox`` as a person runs it; returns once it printed its URL."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--port", str(port), "--dir", str(folder),
        *args, env=bot_env(None, None, **env), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(30):
            while not any(READY in line for line in lines):
                line = (await process.stdout.readline()).decode()
                if not line:
                    raise AssertionError(f"the sandbox exited: {lines}")
                lines.append(line)
    except TimeoutError:
        process.kill()
        raise
    url = next(line for line in lines if READY in line).split(READY)[1].split()[0]
    assert url == f"http://127.0.0.1:{port}/"
    return Sandbox(url, folder, process)


async def stop_sandbox(sandbox: Sandbox) -> int:
    """Ctrl-C, as a person stops it (SIGKILL if it is still running 30 s later); its exit
    code."""
    [code] = await stop(sandbox.process, grace=30, signal=signal.SIGINT)
    return code


@contextlib.asynccontextmanager
async def sandbox_in(folder: Path, *args: str, **env: str) -> AsyncIterator[Sandbox]:
    """A sandbox in ``folder`` for the block. After it, one still running is stopped with
    Ctrl-C and must exit 0, leaving no redis-server behind; after a block that failed,
    it is stopped all the same and its redis-server killed."""
    running = await start_sandbox(folder, *args, **env)
    code = None
    try:
        yield running
    finally:
        if running.process.returncode is None:
            code = await stop_sandbox(running)
        leftover = redis_processes(running.dir / "data")
        for pid in leftover:
            os.kill(pid, signal.SIGKILL)
    assert code in (None, 0), f"the sandbox exited {code} on Ctrl-C"
    assert leftover == [], "a redis-server outlived the sandbox"


async def state_of(http: aiohttp.ClientSession, sandbox: Sandbox,
                   who: str | None = None) -> dict[str, Any]:
    """What ``who`` sees (the page's ``/api/state``); no one: a first visit."""
    query = f"?as={who}" if who else ""
    async with http.get(f"{sandbox.url}api/state{query}") as r:
        assert r.status == 200, await r.text()
        found: dict[str, Any] = await r.json()
        return found


async def do(http: aiohttp.ClientSession, sandbox: Sandbox,
             **body: Any) -> tuple[int, dict[str, Any]]:
    """What a person does, posted as the page posts it: the status and the answer."""
    async with http.post(f"{sandbox.url}api/do", json=body) as r:
        answer: dict[str, Any] = await r.json()
        return r.status, answer


async def seen(check: Callable[[], Awaitable[Any]]) -> Any:
    """What ``check`` returns once it is something (what the bot does takes a moment)."""
    return await until(check, timeout=10.0)
