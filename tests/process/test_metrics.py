"""What operators watch of a worker process: /metrics on METRICS_PORT, and JSON logs."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from bot.sandbox.standin import SlackStandIn
from tests.support.cli import bot_env
from tests.support.metrics import Samples, scrape
from tests.support.processes import GRACE, bot_process
from tests.support.servers import free_port


async def test_a_worker_serves_metrics_on_its_port_and_logs_json(
        slack: SlackStandIn, redis_url: str) -> None:
    port = free_port()
    env = bot_env(slack, redis_url, METRICS_PORT=str(port), LOG_FORMAT="json")
    async with bot_process("worker", env=env, stderr=asyncio.subprocess.PIPE) as process:
        samples: Samples = {}
        for _ in range(100):
            try:
                samples = await scrape(f"http://127.0.0.1:{port}/metrics")
                break
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
        assert ("desk_dead_letters", ()) in samples
        process.terminate()
        _, err = await asyncio.wait_for(process.communicate(), GRACE)
    lines = [json.loads(line) for line in err.decode().splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["message"] == "worker started" for line in lines)
    assert "xoxb-test-token" not in err.decode()
