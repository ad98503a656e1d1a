"""Scale: the timer queue's claim cost as open tickets grow, Redis memory per open
ticket, and Redis round trips and Slack calls per ticket opened (counted, not estimated).

    python -m bench.scale [--small 1000] [--large 100000] [--tickets 1000] [--opened 50]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bench.common import (
    CLIENT_CHANNEL,
    STAFF,
    RedisCounts,
    instrument,
    machine,
    redis_server,
    standin,
)
from bench.worker_cost import drain
from bot.adapters.keys import Layout, once_key, thread_key
from bot.adapters.queue import JobQueue
from bot.bootstrap import Runtime, open_runtime
from bot.domain.jobs import FireTimer, SyncTriage
from bot.domain.sla import Step
from bot.domain.tickets import Client
from bot.sandbox.slack_side import SlackClientSide
from bot.sandbox.standin import SlackStandIn
from bot.slack_ui.ids import ModalMetadata
from bot.slack_ui.modals import ticket_modal
from bot.slack_ui.words import words_for
from bot.web import http_app
from tests.support.desk import settings_for
from tests.support.servers import free_port
from tests.support.slackreq import SIGNING_SECRET, values_by_label
from tests.support.workspace import AM

KEYS = Layout()
ONE = KEYS.all[0]


async def fill_queue(redis: Redis, tickets: int) -> None:
    """Two future timers per open ticket (a warning and a breach), as the desk arms them:
    ``FireTimer`` jobs ``timer:<n>:<step>:<gen>``."""
    far = (time.time() + 86_400) * 1000
    for start in range(0, tickets, 5000):
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(start, min(tickets, start + 5000)):
                deadline = round(far + n + 900_000)
                for step, due in ((Step.WARNING, far + n), (Step.BREACH, deadline)):
                    job = FireTimer(ticket=n, step=step, generation=deadline)
                    pipe.zadd(ONE.due, {job.id: due})
                    pipe.hset(ONE.jobs, job.id, job.model_dump_json())
            await pipe.execute()


async def claim_cost(redis: Redis, rounds: int) -> float:
    """Seconds per claim of one due job (then its ack), the queue around it untouched."""
    queue = JobQueue(redis)
    probe = SyncTriage(ticket=1).model_dump_json()
    started = time.perf_counter()
    for i in range(rounds):
        await redis.hset(ONE.jobs, f"probe:{i}", probe)
        await redis.zadd(ONE.due, {f"probe:{i}": 0})
        batch = await queue.claim(10)
        for job in batch.jobs:
            await queue.ack(job)
    return (time.perf_counter() - started) / rounds


async def queue_scale(redis_url: str, small: int, large: int, rounds: int) -> None:
    redis = Redis.from_url(redis_url, decode_responses=True)
    costs = {}
    for size in (small, large):
        await redis.flushall()
        await fill_queue(redis, size)
        await claim_cost(redis, 50)  # warm up
        costs[size] = await claim_cost(redis, rounds)
        print(f"  claim + ack with {size:>7} open tickets ({2 * size} timers): "
              f"{costs[size] * 1e6:8.1f} µs")
    ratio = costs[large] / costs[small]
    print(f"  ratio {ratio:.2f} (goal <= 1.5: {'met' if ratio <= 1.5 else 'MISSED'})")
    await redis.aclose()


async def per_ticket(slack: SlackStandIn, redis_url: str, tickets: int, opened: int) -> None:
    counter = RedisCounts()
    instrument(counter)
    async with open_runtime(settings_for(slack, redis_url, intake_limit=10**6),
                            redis_url) as runtime:
        await measure(runtime, slack, counter, tickets, opened)


async def measure(runtime: Runtime, slack: SlackStandIn, counter: RedisCounts, tickets: int,
                  opened: int) -> None:
    runner = web.AppRunner(http_app(runtime))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await runtime.store.put_client(Client(CLIENT_CHANNEL, "Acme", "standard", AM))
    view = ticket_modal(words_for("en"), ModalMetadata(channel=CLIENT_CHANNEL))
    values = values_by_label(view, {"Title": "Checkout fails", "Severity": "High",
                                    "Description": "502 on every payment."})
    async with aiohttp.ClientSession() as session:
        client = SlackClientSide(f"http://127.0.0.1:{port}", session,
                                 secret=SIGNING_SECRET)
        await client.command("/ticket", "warm-up", user=STAFF, channel=CLIENT_CHANNEL)
        await client.submit(view, values, user=STAFF, view_id="Vwarmup")
        await asyncio.sleep(0.05)
        await drain(runtime)
        slack.calls.clear()
        web_trips = worker_trips = 0
        for i in range(opened):
            with counter.counting():
                await client.command("/ticket", "", user=STAFF, channel=CLIENT_CHANNEL)
                await client.submit(view, values, user=STAFF, view_id=f"V{i:08d}")
            await asyncio.sleep(0.01)  # let views.open, started after the ack, go out
            web_trips += counter.trips
            counter.reset()
            with counter.counting():
                await drain(runtime)
            worker_trips += counter.trips
            counter.reset()
        slack_calls = len([c for c in slack.calls if c.method != "auth.test"])
        print(f"  Redis round trips per ticket opened: {web_trips / opened:.1f} while Slack "
              f"waits for its answer (/ticket and the submission), "
              f"{worker_trips / opened:.1f} in the worker (posting it, and its last look "
              "at an empty queue); "
              f"{(web_trips + worker_trips) / opened:.1f} in all")
        print(f"  Slack calls per ticket opened: {slack_calls / opened:.1f} "
              f"({', '.join(sorted({c.method for c in slack.calls}))})")
        for i in range(tickets):
            await client.submit(view, values, user=STAFF, view_id=f"W{i:08d}")
        await drain(runtime)
    redis = runtime.redis
    numbers = await runtime.store.open_numbers()
    own = 0
    for number in numbers:
        stored = await runtime.store.get(number)
        assert stored is not None
        keys = [KEYS.ticket_hash(number), KEYS.done_set(number), KEYS.timer_set(number),
                thread_key(CLIENT_CHANNEL, stored.ticket.client_ts or "")]
        for key in keys:
            own += int(await redis.memory_usage(key, samples=0) or 0)
    shared = 0
    for key in (*ONE.queue[:5], ONE.dead, ONE.open):
        shared += int(await redis.memory_usage(key, samples=0) or 0)
    once = [k async for k in redis.scan_iter(once_key("*"))]
    for key in once:
        shared += int(await redis.memory_usage(key, samples=0) or 0)
    per = (own + shared) / len(numbers)
    print(f"  Redis memory per open ticket: {per:,.0f} bytes over {len(numbers)} tickets "
          f"(its hash, done set, timer set and thread index: {own / len(numbers):,.0f}; "
          f"its share of the queue, the open index and the 24 h submission records: "
          f"{shared / len(numbers):,.0f}) (goal <= 2,048: {'met' if per <= 2048 else 'MISSED'})")
    await runner.cleanup()


async def main(small: int, large: int, rounds: int, tickets: int, opened: int) -> None:
    print(f"Scale\nMachine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url:
            await queue_scale(redis_url, small, large, rounds)
            redis = Redis.from_url(redis_url)
            await redis.flushall()
            await redis.aclose()
            async with standin(0.0) as slack:
                await per_ticket(slack, redis_url, tickets, opened)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--opened", type=int, default=50)
    a = parser.parse_args()
    asyncio.run(main(a.small, a.large, a.rounds, a.tickets, a.opened))
