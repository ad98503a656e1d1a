"""The sweep at scale: how long ``Sweeper.sweep()`` takes over N open tickets, and how
many Redis round trips and commands it sends (counted, not estimated).

Fills a real Redis with ``--tickets`` open tickets (100,000) over ``--clients`` client
channels (10), written with the store's public ``create`` as the desk writes them: posted
in Slack, their SLA timers armed; a quarter are claimed (their clock stopped, an update
owed). Then, as after a restore from a backup that did not have the job queue, the
queue's jobs are lost (``--keep-queue``: not), and it sweeps twice: the first sweep
re-arms every timer, the second finds everything in place. Checks that no sweep changed
a ticket's version (read with ``store.get_many`` before and after).

``--profile FILE`` writes a cProfile of both sweeps.

    python -m bench.sweep [--tickets 100000] [--clients 10] [--keep-queue] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from bench.calendar import CALENDARS, OFFICE
from bench.common import STAFF, TRIAGE, RedisCounts, instrument, machine, redis_server
from bot.adapters.keys import Layout
from bot.adapters.store import Store
from bot.bootstrap import Runtime, open_runtime
from bot.config import Settings, load_settings
from bot.domain.plans import STANDARD, Plan
from bot.domain.sla import desired_timers
from bot.domain.tickets import Client, Severity, Ticket
from bot.domain.transitions import claim
from bot.services.sweep import SweepResult
from tests.support.workspace import AM

ONE = Layout().all[0]

IN_FLIGHT = 64
"""Creates under way at once while filling (each is one script, one round trip, on a
connection of its own: the desk's Redis client keeps at most 100)."""
READ_BATCH = 5000


CALENDAR_PLANS = json.dumps({STANDARD: {"calendar": OFFICE}})
"""``PLANS`` with the standard plan, which every other plan builds on, on the office."""


def bench_settings(redis_url: str, calendar: bool = False) -> Settings:
    # The sweep never calls Slack: nothing answers at this address.
    hours = {"calendars": CALENDARS, "plans": CALENDAR_PLANS} if calendar else {}
    return load_settings(_env_file=None, slack_bot_token="xoxb-bench-token",
                         slack_api_url="http://127.0.0.1:9/api/", redis_url=redis_url,
                         triage_channel=TRIAGE, **hours)


def channels(clients: int) -> list[str]:
    return [f"C0BENCH{c:04d}" for c in range(clients)]


def draft(i: int, channel: str, now: float) -> Ticket:
    """The ``i``-th ticket: opened within the last half hour (before any deadline), one in
    four claimed with a first response."""
    created = now - 1800 + (i % 1800)
    severity = tuple(Severity)[(i // 4) % len(Severity)]  # every severity claimed or not
    ticket = Ticket(number=0, channel=channel, reporter=AM, title=f"Issue {i}",
                    description="Checkout fails with a 502 on every payment.",
                    severity=severity, created_at=created, client_ts=f"1700000000.{i:06d}",
                    triage_ts=f"1700000001.{i:06d}")
    if i % 4 == 3:
        ticket = claim(ticket, STAFF, created + 60, claim_is_response=True)
    return ticket


async def fill(runtime: Runtime, tickets: int, clients: int) -> float:
    """Register the clients and open ``tickets`` tickets; returns the seconds it took."""
    store, settings = runtime.store, runtime.settings
    names = channels(clients)
    for n, channel in enumerate(names):
        await store.put_client(Client(channel, f"Client {n}", "standard", AM))
    plan: Plan = settings.plan_table[STANDARD]
    now = runtime.clock()
    started = time.perf_counter()

    todo = iter(range(tickets))

    async def writer() -> None:
        for i in todo:  # shared: each writer takes the next ticket to write
            ticket = draft(i, names[i % len(names)], now)
            await store.create(ticket, once=None, once_ttl=60, jobs=[],
                               timers=desired_timers(ticket, plan, now, settings.warn_at))

    await asyncio.gather(*(writer() for _ in range(min(IN_FLIGHT, tickets))))
    return time.perf_counter() - started


def chunks(numbers: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(numbers), size):
        yield numbers[start:start + size]


async def versions(store: Store) -> dict[int, int]:
    """Every open ticket's version, read through ``store.get_many``."""
    found: dict[int, int] = {}
    for part in chunks(await store.open_numbers(), READ_BATCH):
        for current in await store.get_many(part):
            if current is not None:
                found[current.ticket.number] = current.version
    return found


async def armed(runtime: Runtime) -> int:
    """Jobs waiting in the queue (every one here is an SLA timer)."""
    return int(await runtime.redis.zcard(ONE.due))


@dataclass(frozen=True)
class Timed:
    result: SweepResult
    seconds: float
    trips: int
    commands: int
    cpu: float
    """This process's CPU seconds (the sweep's Python)."""
    redis_cpu: float
    """Redis's CPU seconds (its scripts), from ``INFO cpu``."""


async def redis_cpu(runtime: Runtime) -> float:
    info = cast(dict[str, float], await runtime.redis.info("cpu"))
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def timed_sweep(runtime: Runtime, counts: RedisCounts,
                      profile: cProfile.Profile | None = None) -> Timed:
    counts.reset()
    redis_before = await redis_cpu(runtime)
    with counts.counting():
        started, cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        result = await runtime.worker.sweeper.sweep()
        if profile is not None:
            profile.disable()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Timed(result, seconds, counts.trips, counts.commands, cpu,
                 await redis_cpu(runtime) - redis_before)


def report(label: str, t: Timed, before: int, after: int) -> None:
    n = t.result.tickets
    print(f"{label}")
    print(f"  tickets {n:,}; {t.seconds:.2f} s, {t.seconds * 1e6 / max(n, 1):.1f} ms per "
          f"1,000 tickets")
    print(f"  CPU: this process {t.cpu:.2f} s, Redis {t.redis_cpu:.2f} s")
    print(f"  Redis round trips {t.trips:,} ({t.trips * 1000 / max(n, 1):.1f} per 1,000 "
          f"tickets), commands {t.commands:,} ({t.commands / max(n, 1):.2f} per ticket)")
    print(f"  tickets left in place (everything known to be in place, not read): "
          f"{t.result.in_place:,}")
    print(f"  posts to put back: {t.result.repaired}; tickets changed meanwhile: "
          f"{t.result.skipped}; timers in the queue: {before:,} before, {after:,} after")


async def main(tickets: int, clients: int, keep_queue: bool, calendar: bool = False,
               profile_to: str | None = None) -> bool:
    print(f"Sweep: {tickets:,} open tickets over {clients} client channels\n"
          f"Machine: {machine()}")
    counts = RedisCounts()
    instrument(counts)
    profile = cProfile.Profile() if profile_to else None
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url, \
                open_runtime(bench_settings(redis_url, calendar), redis_url) as runtime:
            if calendar:
                hours = runtime.settings.plan_table[STANDARD].calendar
                print(f"  every plan on business hours: "
                      f"{hours.describe() if hours else 'none (24x7)'}")
            seconds = await fill(runtime, tickets, clients)
            memory = cast(dict[str, int], await runtime.redis.info("memory"))["used_memory"]
            print(f"  filled in {seconds:.1f} s with store.create, {IN_FLIGHT} at a time "
                  f"({tickets / seconds:,.0f} tickets/s); Redis uses "
                  f"{memory / 2**20:,.0f} MiB")
            first = await versions(runtime.store)
            if not keep_queue:
                # The queue lost (a restore from a backup without it): every timer is gone.
                await runtime.redis.delete(ONE.due, ONE.jobs, ONE.tries)
            before = await armed(runtime)
            one = await timed_sweep(runtime, counts, profile)
            after_one = await armed(runtime)
            report("First sweep" + ("" if keep_queue else " (the queue's jobs lost before it: "
                                    "it re-arms every timer)"), one, before, after_one)
            middle = await versions(runtime.store)
            two = await timed_sweep(runtime, counts, profile)
            report("Second sweep (everything in place: nothing to repair)", two, after_one,
                   await armed(runtime))
            last = await versions(runtime.store)
    if profile is not None and profile_to:
        profile.dump_stats(profile_to)
    changed = sum(1 for n, v in first.items() if middle.get(n) != v or last.get(n) != v)
    same = changed == 0 and first.keys() == middle.keys() == last.keys()
    print(f"Ticket versions before == after both sweeps: {'yes' if same else 'NO'} "
          f"({len(first):,} tickets read with store.get_many; {changed} changed)")
    return same


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--keep-queue", action="store_true",
                        help="do not lose the queue's jobs before the first sweep")
    parser.add_argument("--calendar", action="store_true",
                        help="every plan on business hours (Rome office, lunch break, "
                             "IT holidays)")
    parser.add_argument("--profile", default=None,
                        help="write a cProfile of both sweeps here")
    a = parser.parse_args()
    if a.tickets < 1 or a.clients < 1:
        parser.error("--tickets and --clients must be at least 1")
    sys.exit(0 if asyncio.run(main(a.tickets, a.clients, a.keep_queue, a.calendar,
                                          a.profile)) else 1)
