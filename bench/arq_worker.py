"""The arq side of the burst comparison, run in a virtualenv of its own (arq pins an
older redis-py): enqueue N deferred jobs, then work them with one arq worker.

Each job is the same warning the desk sends: a DM to the account manager and a note in
the triage thread, against the same Slack stand-in and the same Redis.

    python -m bench.arq_worker --redis URL --slack URL --n N --at EPOCH [--jobs 32]
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import marker

MANAGER, TRIAGE, THREAD = "U0AMGR0001", "C0TRIAGE01", "2.000001"


async def warn(ctx: dict[str, Any], key: str) -> None:
    slack: AsyncWebClient = ctx["slack"]
    await slack.chat_postMessage(channel=MANAGER, text=f"{key}: 15 min left",
                                 metadata=marker(key, "warning:arq/dm"))
    await slack.chat_postMessage(channel=TRIAGE, thread_ts=THREAD, text=f"{key}: warned",
                                 metadata=marker(key, "warning:arq/triage"))


async def main(redis_url: str, slack_url: str, n: int, at: float, jobs: int) -> None:
    settings = RedisSettings.from_dsn(redis_url)
    pool = await create_pool(settings)
    when = datetime.fromtimestamp(at).astimezone()
    for i in range(n):
        await pool.enqueue_job("warn", f"A-{i}", _defer_until=when, _job_id=f"A-{i}")
    await pool.aclose()

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["slack"] = AsyncWebClient(token="xoxb-test-token", base_url=slack_url)

    worker = Worker(functions=[warn], redis_settings=settings, on_startup=startup,
                    max_jobs=jobs, handle_signals=True)
    await worker.main()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--redis", required=True)
    p.add_argument("--slack", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--at", type=float, required=True)
    p.add_argument("--jobs", type=int, default=32)
    a = p.parse_args()
    asyncio.run(main(a.redis, a.slack, a.n, a.at, a.jobs))
