"""The arq side of the burst comparison, run in a virtualenv of its own (arq pins an
older redis-py): enqueue N deferred jobs, then work them with one arq worker until its
queue is empty (arq's burst mode), or until SIGTERM.

Each job is the same warning the desk sends: a DM to the account manager and a note in
the triage thread, against the same Slack stand-in and the same Redis. This module
imports nothing of the desk's: arq's virtualenv has none of its dependencies.

arq finds due jobs by polling: every ``poll_delay`` (0.5 s by default) it reads the due
ids and starts at most ``max_jobs`` of them, so a burst of short jobs drains at about
``max_jobs / poll_delay`` jobs a second, whatever the jobs' own speed.

Prints one line when the jobs are enqueued (``enqueued N jobs in S s, M s before due``)
and one when the worker ends (``arq worker: C complete, F failed, R retried``).

    python -m bench.arq_worker --redis URL --slack URL --n N --at EPOCH [--jobs 32]
        [--poll 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime
from typing import Any

from arq import create_pool
from arq.connections import RedisSettings
from arq.worker import Worker
from slack_sdk.web.async_client import AsyncWebClient

MANAGER, TRIAGE, THREAD = "U0AMGR0001", "C0TRIAGE01", "2.000001"


def marker(ticket: str, notification: str) -> dict[str, Any]:
    """The metadata ``bot.adapters.slack.marker`` puts on the desk's posts."""
    return {"event_type": "support_desk",
            "event_payload": {"ticket": ticket, "notification": notification}}


async def warn(ctx: dict[str, Any], key: str) -> None:
    slack: AsyncWebClient = ctx["slack"]
    await slack.chat_postMessage(channel=MANAGER, text=f"{key}: 15 min left",
                                 metadata=marker(key, "warning:arq/dm"))
    await slack.chat_postMessage(channel=TRIAGE, thread_ts=THREAD, text=f"{key}: warned",
                                 metadata=marker(key, "warning:arq/triage"))


async def main(redis_url: str, slack_url: str, n: int, at: float, jobs: int,
               poll: float) -> None:
    settings = RedisSettings.from_dsn(redis_url)
    pool = await create_pool(settings)
    when = datetime.fromtimestamp(at).astimezone()
    began = time.time()
    for i in range(n):
        await pool.enqueue_job("warn", f"A-{i}", _defer_until=when, _job_id=f"A-{i}")
    await pool.aclose()
    print(f"enqueued {n} jobs in {time.time() - began:.2f} s, {at - time.time():.2f} s "
          "before due", flush=True)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["slack"] = AsyncWebClient(token="xoxb-test-token", base_url=slack_url)

    worker = Worker(functions=[warn], redis_settings=settings, on_startup=startup,
                    max_jobs=jobs, poll_delay=poll, burst=True, handle_signals=True)
    try:
        # async_run, not main(): arq's SIGTERM handler cancels the task async_run keeps;
        # under a bare main() it has nothing to cancel and the worker never exits.
        await worker.async_run()
    except asyncio.CancelledError:
        pass
    finally:
        await worker.close()
        print(f"arq worker: {worker.jobs_complete} complete, {worker.jobs_failed} failed, "
              f"{worker.jobs_retried} retried", flush=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--redis", required=True)
    p.add_argument("--slack", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--at", type=float, required=True)
    p.add_argument("--jobs", type=int, default=32)
    p.add_argument("--poll", type=float, default=0.5, help="arq's poll_delay, in seconds")
    a = p.parse_args()
    asyncio.run(main(a.redis, a.slack, a.n, a.at, a.jobs, a.poll))
