"""Reports and archives: a month's report over many tickets opened in it, most resolved,
some not (time and peak RSS, measured in a process of its own), and the Redis memory of
an archived ticket.

    python -m bench.reports [--tickets 100000] [--unresolved 2000] [--clients 20]
                            [--partitions 16] [--archived 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from redis.asyncio import Redis

from bench.common import machine, redis_server
from bot.adapters.codec import encode_outcome, encode_ticket
from bot.adapters.keys import Layout
from bot.adapters.outcomes import Outcomes
from bot.adapters.store import Store
from bot.domain.periods import month_of
from bot.domain.plans import default_plans
from bot.domain.reports import Outcome, outcome
from bot.domain.sla import SlaClock
from bot.domain.tickets import Severity, Status, Ticket
from bot.domain.transitions import resolve

DAY = 86_400


def fake_outcome(number: int, clients: int, created: float, rng: random.Random) -> Outcome:
    first = rng.lognormvariate(7, 1.2)
    clocks = frozenset({SlaClock.INITIAL}) if first > 14_400 else frozenset()
    return Outcome(number, f"C{number % clients:09d}", rng.choice(list(Severity)),
                   created, created + 86_400,
                   {SlaClock.INITIAL: first, SlaClock.RESOLUTION: first + rng.lognormvariate(9, 1)},
                   clocks, tuple(rng.randint(1, 5) for _ in range(rng.choice((0, 0, 1, 2)))))


def fake_ticket(number: int, clients: int, created: float, rng: random.Random) -> Ticket:
    """A ticket still open: claimed and answered, or (one in two) not answered yet."""
    answered = rng.random() < 0.5
    return Ticket(number, f"C{number % clients:09d}", "U0CLIENT01", f"Uploads fail {number}",
                  "Every upload of the nightly batch stops at 99 %.", rng.choice(list(Severity)),
                  created, status=Status.CLAIMED if answered else Status.OPEN,
                  assignee="U0STAFF001" if answered else None,
                  first_response_at=created + rng.lognormvariate(7, 1.2) if answered else None)


async def seed(url: str, tickets: int, unresolved: int, clients: int, partitions: int) -> None:
    """The indexes, outcomes and open tickets as the ticket scripts leave them, written
    directly (opening and resolving 100,000 tickets one by one is not what is measured):
    ``tickets`` opened last month, the last ``unresolved`` of them still open."""
    redis = Redis.from_url(url, decode_responses=True)
    layout = Layout(partitions)
    start = month_of(time.time(), back=1).start
    rng = random.Random(7)
    for first in range(0, tickets, 5000):
        async with redis.pipeline(transaction=False) as pipe:
            for number in range(1001 + first, 1001 + min(tickets, first + 5000)):
                created = start + rng.uniform(0, 28 * DAY)
                part, key = layout.of_ticket(number), str(number)
                if number > 1000 + tickets - unresolved:
                    values, _ = encode_ticket(fake_ticket(number, clients, created, rng))
                    values["version"] = "1"
                    pipe.hset(layout.ticket_hash(number), mapping=cast(Any, values))
                    pipe.zadd(part.open, {key: round(created * 1000)})
                    continue
                o = fake_outcome(number, clients, created, rng)
                pipe.zadd(part.resolved, {key: round((o.resolved_at or 0) * 1000)})
                pipe.zadd(part.created, {key: round(created * 1000)})
                pipe.hset(part.outcomes, key, encode_outcome(o))
            await pipe.execute()
    await redis.aclose()


async def archived_size(url: str, count: int) -> None:
    """Tickets opened, resolved and archived through the store, as the desk does it; the
    Redis memory their archive records take, each."""
    redis = Redis.from_url(url, decode_responses=True)
    await redis.flushall()
    store = Store(redis)
    reader = Outcomes(redis, store.layout)
    plan = default_plans()["standard"]
    now = time.time()
    live = 0
    for i in range(count):
        draft = Ticket(0, "C0ACME0001", "U0CLIENT01", f"Uploads fail for batch {i}",
                       "Every upload of the nightly batch stops at 99 %; " * 8,
                       Severity.HIGH, now - 7200)
        current, _ = await store.create(draft, once=None, once_ttl=60, jobs=[], timers=[])
        answered = replace(current.ticket, first_response_at=now - 6000)
        solved = resolve(answered, "U0STAFF001", now - 3600, "Fixed in release 4.2.")
        await store.save(current, solved, timers=[], outcome=outcome(solved, plan))
        if i == 0:
            live = int(await redis.memory_usage(store.layout.ticket_hash(solved.number),
                                                samples=0) or 0)
    while await reader.archive(now):
        pass
    part = store.layout.all[0]
    used = sum([int(await redis.memory_usage(k, samples=0) or 0)
                for k in (part.resolved, part.created, part.outcomes)])
    left = [k async for k in redis.scan_iter("sd:*:ticket:*")]
    per = used / count
    print(f"  {count} tickets archived ({len(left)} ticket hashes left); archive record "
          f"(outcome and its resolution and creation index entries): {per:,.0f} bytes each "
          f"(goal <= 600: {'met' if per <= 600 else 'MISSED'}); the live ticket's hash "
          f"was {live:,} bytes")
    await redis.aclose()


async def main(tickets: int, unresolved: int, clients: int, partitions: int,
               archived: int) -> None:
    print(f"Reports\nMachine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as url:
            started = time.perf_counter()
            await seed(url, tickets, unresolved, clients, partitions)
            print(f"A month's report over {tickets:,} tickets opened in it ({unresolved:,} "
                  f"still open) of {clients} clients, {partitions} partitions (seeded in "
                  f"{time.perf_counter() - started:.1f} s)")
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.report_run", url, "--partitions", str(partitions),
                stdout=asyncio.subprocess.PIPE)
            out, _ = await child.communicate()
            if child.returncode:
                raise SystemExit(f"the report's process failed ({child.returncode})")
            print(out.decode(), end="")
            print("An archived ticket in Redis (MEMORY USAGE)")
            await archived_size(url, archived)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--unresolved", type=int, default=2_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--partitions", type=int, default=16)
    parser.add_argument("--archived", type=int, default=1000)
    a = parser.parse_args()
    asyncio.run(main(a.tickets, min(a.unresolved, a.tickets), a.clients, a.partitions,
                     a.archived))
