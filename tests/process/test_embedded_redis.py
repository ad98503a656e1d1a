"""The embedded Redis: started under DATA_DIR when REDIS_URL is unset, shared, no orphans."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import redis

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import bot_env, run_bot
from tests.support.processes import bot_process, stop
from tests.support.servers import free_port, redis_processes
from tests.support.waiting import until


async def test_serve_starts_persists_shares_and_stops_the_embedded_redis(
        slack: SlackStandIn, tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = bot_env(slack, None, DATA_DIR=str(data), PORT=str(free_port()))
    try:
        async with bot_process("serve", env=env, cwd=tmp_path) as web:
            await check_embedded(data, env, tmp_path, web)
    finally:
        for pid in redis_processes(data):
            os.kill(pid, signal.SIGKILL)


async def check_embedded(data: Path, env: dict[str, str], tmp_path: Path,
                         web: asyncio.subprocess.Process) -> None:
    await until(lambda: len(redis_processes(data)) == 1, timeout=15)
    sock = data / "redis.sock"
    await until(sock.exists, timeout=15)
    r = redis.Redis(unix_socket_path=str(sock))
    await until(lambda: r.ping(), timeout=15)
    assert r.config_get("appendonly")["appendonly"] == "yes"
    assert r.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
    # A second process on the same DATA_DIR reuses the server.
    async with bot_process("worker", env=env, cwd=tmp_path) as worker:
        await share_then_stop(data, env, tmp_path, web, worker, r)


async def share_then_stop(data: Path, env: dict[str, str], tmp_path: Path,
                          web: asyncio.subprocess.Process, worker: asyncio.subprocess.Process,
                          r: redis.Redis) -> None:
    await asyncio.sleep(1.5)
    assert len(redis_processes(data)) == 1
    registered = await run_bot("clients", "set", "--channel", "C0ACME0001", "--name",
                               "Acme Media", "--account-manager", "U0AMGR0001", env=env,
                               cwd=tmp_path)
    assert registered.code == 0, registered.err
    # The first to leave keeps it running for the other; the last one stops it.
    assert await stop(web) == [0]
    assert len(redis_processes(data)) == 1
    assert await stop(worker) == [0]
    await until(lambda: redis_processes(data) == [], timeout=15)
    r.close()
    # Data survives: the next start reads the append-only file back.
    result = await run_bot("clients", "list", env=env, cwd=tmp_path)
    assert result.code == 0
    assert "C0ACME0001  Acme Media  plan=standard  account_manager=U0AMGR0001" in result.out
    assert any(p.name.startswith("appendonly") for p in os.scandir(data))
    await until(lambda: redis_processes(data) == [], timeout=15)


async def test_missing_redis_server_says_how_to_fix_it(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = bot_env(None, None, DATA_DIR=str(tmp_path / "data"), PATH=str(bin_dir))
    env["SLACK_BOT_TOKEN"] = "xoxb-1"
    result = await run_bot("clients", "list", env=env, cwd=tmp_path)
    assert result.code == 1
    assert "redis-server is not installed" in result.err
    assert "apt-get install redis-server" in result.err and "REDIS_URL" in result.err
