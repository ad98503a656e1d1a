"""The web path's own cost: CPU per call of what a submission and a Claim do before Slack
gets its answer, one call after another (no concurrency, no HTTP), on a real Redis.

Where ``bench.ack_latency`` shows how long Slack waits under load, this shows what each
request costs the web process, which is what that wait grows with when the cores are
busy: one Redis command on its own (redis-py's floor), opening a ticket (the service, as
the modal's submission calls it), claiming one, and rendering the ticket modal.

    python -m bench.web_cost [--n 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bench.common import CLIENT_CHANNEL, STAFF, machine, redis_server, serve_env, standin_process
from bot.bootstrap import open_runtime
from bot.config import load_settings
from bot.domain.tickets import FIRST_NUMBER, Severity
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from bot.slack_ui.ids import ModalMetadata, OpenTicketValue
from bot.slack_ui.modals import ticket_modal
from bot.slack_ui.words import words_for
from tests.support.servers import free_port

WARMUP = 50


async def cost(n: int, call: Callable[[int], Awaitable[object]]) -> tuple[float, float]:
    """Process CPU and wall time per call, in µs, after a warm-up."""
    for i in range(WARMUP):
        await call(-1 - i)
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(n):
        await call(i)
    return ((time.process_time() - cpu) / n * 1e6, (time.perf_counter() - wall) / n * 1e6)


async def main(n: int) -> dict[str, float]:
    print(f"Web path cost: {n} calls of each, one after another\nMachine: {machine()}")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url, standin_process(0.0) as slack_url:
            os.environ.update(serve_env(slack_url, redis_url, free_port()))
            async with open_runtime(load_settings(), redis_url) as runtime:
                tickets, actor = runtime.desk.tickets, Actor(STAFF)
                await asyncio.sleep(0.5)  # the client records' subscription is up

                async def command(i: int) -> None:
                    await runtime.redis.hget("bench:nothing", "x")

                async def opening(i: int) -> None:
                    await tickets.open(NewTicket(
                        channel=CLIENT_CHANNEL, reporter=STAFF, title="Checkout fails",
                        severity=Severity.HIGH, description="502 on every payment.",
                        once=f"view:B{i}"), actor)

                async def claiming(i: int) -> None:
                    # The tickets just opened: the warm-up's first, then the timed ones.
                    await tickets.claim(FIRST_NUMBER + (WARMUP + i if i >= 0 else -1 - i),
                                        actor)

                modal_meta, prefill = ModalMetadata(channel=CLIENT_CHANNEL), OpenTicketValue(
                    title="Checkout fails")

                async def modal(i: int) -> None:
                    ticket_modal(words_for("en"), modal_meta, prefill)

                for name, call in (("one Redis command (HGET)", command),
                                   ("opening a ticket", opening),
                                   ("claiming a ticket", claiming),
                                   ("rendering the ticket modal", modal)):
                    cpu, wall = await cost(n, call)
                    figures[name] = cpu
                    print(f"  {name:<28} {cpu:8.0f} µs CPU  {wall:8.0f} µs wall")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    asyncio.run(main(parser.parse_args().n))
