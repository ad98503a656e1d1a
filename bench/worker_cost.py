"""The timer loop's cost per ticket opened: its process CPU and its Redis round trips for
everything it does for a new ticket (the client thread's card, the triage post, the App
Homes, and the jobs each of them arms), on a real Redis, against the Slack stand-in in a
process of its own (answering at once, so that its work is not counted).

Opens ``--tickets`` tickets (200) one after another through the desk's service, as the
modal's submission does, and after each runs the worker until nothing is due; the
worker's process CPU (``time.process_time``) and its Redis round trips and commands
(redis-py's calls counted) are summed over those runs only, so the opening itself is not
in them. ``--viewers`` people (0) have App Home open, whose Homes the worker keeps current.
``--profile FILE`` writes a cProfile of the worker's runs.

    python -m bench.worker_cost [--tickets 200] [--viewers 0] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import resource
import tempfile
import time
from pathlib import Path

from bench.common import (
    CLIENT_CHANNEL,
    STAFF,
    STAFF_2,
    RedisCounts,
    instrument,
    machine,
    redis_server,
    serve_env,
    standin_process,
)
from bot.bootstrap import Runtime, open_runtime
from bot.config import load_settings
from bot.domain.tickets import Client, Severity
from bot.services.staff import Actor
from bot.services.tickets import NewTicket
from tests.support.servers import free_port
from tests.support.workspace import AM

WARMUP = 20
"""Tickets opened and worked before the counted ones (connections, scripts, caches)."""
YARDSTICK = 500
"""HGETs timed on their own, to say what a ticket costs in Redis commands' worth."""
GOAL_CPU_MS = 1.0
GOAL_TRIPS = 8.0


async def drain(runtime: Runtime) -> None:
    """Run the worker until a claim finds nothing due (the SLA timers stay armed for later):
    as its loop does, but for the wait between claims."""
    while True:
        await runtime.worker.run_once()
        claimed = runtime.worker.running > 0
        await runtime.worker.finish()
        if not claimed:
            return


async def measure(runtime: Runtime, tickets: int, viewers: int,
                  profile: cProfile.Profile | None) -> dict[str, float]:
    await runtime.store.put_client(Client(CLIENT_CHANNEL, "Acme", "standard", AM))
    await asyncio.sleep(0.5)  # the client records' subscription is up
    for viewer in (STAFF, STAFF_2, AM)[:viewers]:
        await runtime.desk.homes.opened(Actor(viewer))
    service, actor = runtime.desk.tickets, Actor(STAFF)

    async def one(i: int) -> None:
        await service.open(NewTicket(
            channel=CLIENT_CHANNEL, reporter=STAFF, title="Checkout fails",
            severity=Severity.HIGH, description="502 on every payment.", once=f"view:W{i}"),
            actor)

    for i in range(WARMUP):
        await one(-1 - i)
        await drain(runtime)
    # The yardstick: one Redis command on its own (redis-py's floor), in the same process.
    started = time.process_time()
    for _ in range(YARDSTICK):
        await runtime.redis.hget("bench:nothing", "x")
    command = (time.process_time() - started) / YARDSTICK
    counts = RedisCounts()
    instrument(counts)
    cpu = user = system = 0.0
    gc.collect()
    gc.freeze()
    for i in range(tickets):
        await one(i)
        started = time.process_time()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        if profile is not None:
            profile.enable()
        with counts.counting():
            await drain(runtime)
        if profile is not None:
            profile.disable()
        cpu += time.process_time() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        user += after.ru_utime - usage.ru_utime
        system += after.ru_stime - usage.ru_stime
    return {"command_ms": command * 1000, "cpu_ms": cpu / tickets * 1000,
            "user_ms": user / tickets * 1000, "system_ms": system / tickets * 1000,
            "trips": counts.trips / tickets, "commands": counts.commands / tickets}


async def main(tickets: int, viewers: int, profile_to: str | None) -> dict[str, float]:
    print(f"Worker cost per ticket opened: {tickets} tickets, one after another, "
          f"{viewers} people with App Home open\nMachine: {machine()}")
    profile = cProfile.Profile(time.process_time) if profile_to else None
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url, standin_process(0.0) as slack_url:
            os.environ.update(serve_env(slack_url, redis_url, free_port()))
            async with open_runtime(load_settings(), redis_url) as runtime:
                figures = await measure(runtime, tickets, viewers, profile)
    if profile is not None and profile_to:
        profile.dump_stats(profile_to)
    cpu, trips, command = figures["cpu_ms"], figures["trips"], figures["command_ms"]
    print(f"  worker CPU per ticket: {cpu:.2f} ms ({figures['user_ms']:.2f} user, "
          f"{figures['system_ms']:.2f} system) "
          f"(goal <= {GOAL_CPU_MS:g}: {'met' if cpu <= GOAL_CPU_MS else 'MISSED'})")
    print(f"  as many Redis commands on their own: {cpu / command:.1f} "
          f"(one HGET costs {command * 1000:.0f} µs of CPU here; a machine's load changes "
          "both alike)")
    print(f"  Redis round trips per ticket: {trips:.1f}, {figures['commands']:.1f} commands "
          f"(goal <= {GOAL_TRIPS:g}: {'met' if trips <= GOAL_TRIPS else 'MISSED'})")
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--viewers", type=int, default=0, choices=range(4))
    parser.add_argument("--profile", default=None, help="write a cProfile here")
    a = parser.parse_args()
    asyncio.run(main(a.tickets, a.viewers, a.profile))
