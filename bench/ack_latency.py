"""Acknowledgement latency: how fast Slack gets its HTTP 200, the desk against a bare app.

Runs ``python -m bot serve`` (HTTP mode, real Redis, its timer loop in a child process) and a bare
AsyncApp that only acks, each as a process, against the Slack stand-in answering every
Web API call after ``--delay`` (50 ms). Sends N signed /ticket commands, N modal
submissions and N Claim clicks, ``--concurrency`` at a time, and prints the latency
percentiles of each and the p99 ratio (goal: at most 1.25).

    python -m bench.ack_latency [--n 200] [--concurrency 20] [--delay 0.05] [--rate R]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from bench.common import (
    CLIENT_CHANNEL,
    STAFF,
    STAFF_2,
    TRIAGE,
    machine,
    percentiles,
    process,
    redis_server,
    serve_args,
    serve_env,
    show,
    standin_process,
)
from bot.domain.tickets import FIRST_NUMBER
from bot.sandbox.slack_side import SlackClientSide
from bot.slack_ui.ids import ActionId, ModalMetadata, TicketRef
from bot.slack_ui.modals import ticket_modal
from bot.slack_ui.words import words_for
from tests.support.servers import free_port
from tests.support.slackreq import SIGNING_SECRET, values_by_label

WARMUP_ROUNDS = 2
"""Requests of each kind sent (``concurrency`` at a time) before the timed ones, so that
the connection pools (to Redis, to Slack) are as large as the timed run needs."""
SETTLE = 3.0
"""Seconds between serve answering /healthz and the first request timed."""
Phase = dict[str, list[float]]


async def timed(call: Awaitable[object]) -> float:
    started = time.perf_counter()
    await call
    return time.perf_counter() - started


async def drive(url: str, n: int, concurrency: int, rate: float | None = None) -> Phase:
    """Warm up, then time N of each request; returns the latencies by kind.

    Back to back, ``concurrency`` at a time (a closed loop: the busiest it can be); or, with
    ``rate``, one request every 1/rate seconds whatever the answers (as Slack sends them),
    at most ``concurrency`` in flight.

    The load generator's own heap is frozen before each timed run: a full collection of it
    (it holds the desk's modules too) paused it for 30-50 ms, and the pause was charged to
    whichever side was being timed."""
    warmup = WARMUP_ROUNDS * concurrency
    view = ticket_modal(words_for("en"), ModalMetadata(channel=CLIENT_CHANNEL))
    values = values_by_label(view, {"Title": "Checkout fails", "Severity": "High",
                                    "Description": "502 on every payment."})
    slots = asyncio.Semaphore(concurrency)
    results: Phase = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as s:
        client = SlackClientSide(url, s, secret=SIGNING_SECRET)

        async def run(kind: str, make: Callable[[int], Awaitable[object]], count: int,
                      offset: int) -> None:
            async def one(i: int) -> float:
                if rate:
                    await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
                async with slots:
                    return await timed(make(offset + i))
            gc.collect()
            gc.freeze()
            started = time.perf_counter()
            results[kind] = list(await asyncio.gather(*(one(i) for i in range(count))))

        def command(i: int) -> Awaitable[object]:
            return client.command("/ticket", f"issue {i}", user=STAFF, channel=CLIENT_CHANNEL)

        def submission(i: int) -> Awaitable[object]:
            return client.submit(view, values, user=STAFF, view_id=f"V{i:09d}")

        def claim(i: int) -> Awaitable[object]:
            ref = TicketRef(ticket=FIRST_NUMBER + i).model_dump_json()
            return client.click(ActionId.CLAIM, ref, user=(STAFF, STAFF_2)[i % 2], channel=TRIAGE)

        for kind, make in (("/ticket command", command), ("modal submission", submission),
                           ("Claim click", claim)):
            await run(kind + " (warm-up)", make, warmup, 0)
            await run(kind, make, n, warmup)
    return {k: v for k, v in results.items() if "warm-up" not in k}


async def main(n: int, concurrency: int, delay: float, extra: tuple[str, ...] = (),
               rate: float | None = None) -> dict[str, float]:
    pace = f"{rate:g} a second" if rate else "back to back"
    print(f"Ack latency: {n} of each request, {pace}, {concurrency} at a time at most, "
          f"Slack stand-in delay {delay * 1000:.0f} ms\nMachine: {machine()}")
    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url, standin_process(delay) as slack_url:
            port = free_port()
            async with process(serve_args(*extra), serve_env(slack_url, redis_url, port),
                               port) as url:
                # Steady state: serve answers /healthz before its timer loop (a process of
                # its own) has finished starting and sweeping.
                await asyncio.sleep(SETTLE)
                desk = await drive(url, n, concurrency, rate)
            port = free_port()
            bare_args = [sys.executable, "-m", "bench.bare_app", "--port", str(port),
                         "--api-url", slack_url, "--token", "xoxb-test-token",
                         "--secret", SIGNING_SECRET]
            async with process(bare_args, serve_env(slack_url, redis_url, port), port) as url:
                bare = await drive(url, n, concurrency, rate)
    for kind in desk:
        mine, base = percentiles(desk[kind]), percentiles(bare[kind])
        print(f"{kind}")
        show("support desk", mine)
        show("bare AsyncApp (acks only)", base)
        ratios[kind] = mine["p99"] / base["p99"]
        verdict = "met" if ratios[kind] <= 1.25 else "MISSED"
        print(f"  p99 ratio desk/bare: {ratios[kind]:.2f} (goal <= 1.25: {verdict})")
    return ratios


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--rate", type=float, default=None,
                        help="requests a second, sent whatever the answers (default: back "
                             "to back, --concurrency at a time)")
    parser.add_argument("--no-worker", action="store_true",
                        help="serve without the in-process timer loop (web: in the Procfile)")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.concurrency, args.delay,
                     ("--no-worker",) if args.no_worker else (), args.rate))
