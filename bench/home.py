"""App Home at scale: rendering a person's Home and publishing it, over N open tickets.

Fills a real Redis with ``--tickets`` open tickets (10,000) over ``--clients`` client
channels, written with the store's public ``create`` as the desk writes them (their index
entries and timers with them): opened over the last ``--spread`` hours (6), all severities,
one in five held by the engineer whose Home is measured, so every section has tickets
(unassigned, at risk, breached, theirs, their clients'). Then it times ``--rounds`` Homes
(200) of that engineer, who is also the clients' account manager: the queue read from the
indices, the tickets on it read, the view built, and ``views.publish`` to the Slack
stand-in (in this process, answering at once). Prints the figures; the goal is p99 <= 100
ms for render plus publish.

    python -m bench.home [--tickets 10000] [--clients 10] [--rounds 200]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.common import STAFF, STAFF_2, machine, percentiles, redis_server, show, standin
from bench.sweep import IN_FLIGHT, bench_settings, channels
from bot.bootstrap import Runtime, open_runtime
from bot.domain.plans import STANDARD
from bot.domain.sla import desired_timers
from bot.domain.tickets import Client, Severity, Ticket
from bot.domain.transitions import claim
from bot.domain.urgency import urgency
from bot.services.staff import Actor
from bot.slack_ui.home import home_view
from bot.slack_ui.words import words_for

GOAL = 0.100
"""Seconds: the p99 of render plus publish that the desk aims for."""


def draft(i: int, channel: str, now: float, spread: float) -> Ticket:
    """The ``i``-th ticket: opened within the last ``spread`` seconds; one in five held by
    the measured engineer, one in five by another."""
    ticket = Ticket(number=0, channel=channel, reporter=STAFF_2, title=f"Issue {i}",
                    description="Checkout fails with a 502 on every payment.",
                    severity=tuple(Severity)[i % len(Severity)],
                    created_at=now - (i * 7919 % 1000) / 1000 * spread,
                    client_ts=f"1700000000.{i:06d}", triage_ts=f"1700000001.{i:06d}")
    holder = {0: STAFF, 1: STAFF_2}.get(i % 5)
    return claim(ticket, holder, ticket.created_at + 60, claim_is_response=False) \
        if holder else ticket


async def fill(runtime: Runtime, tickets: int, clients: int, spread: float) -> float:
    store, settings = runtime.store, runtime.settings
    names = channels(clients)
    for n, channel in enumerate(names):
        await store.put_client(Client(channel, f"Client {n}", STANDARD, STAFF))
    plan = settings.plan_table[STANDARD]
    now = runtime.clock()
    started = time.perf_counter()
    todo = iter(range(tickets))

    async def writer() -> None:
        for i in todo:  # shared: each writer takes the next ticket to write
            ticket = draft(i, names[i % len(names)], now, spread)
            await store.create(ticket, once=None, once_ttl=60, jobs=[],
                               timers=desired_timers(ticket, plan, now, settings.warn_at),
                               urgency=urgency(ticket, plan, settings.warn_at))

    await asyncio.gather(*(writer() for _ in range(min(IN_FLIGHT, tickets))))
    return time.perf_counter() - started


async def main(tickets: int, clients: int, rounds: int, spread: float) -> None:
    print(f"App Home: {tickets:,} open tickets over {clients} client channels, "
          f"{rounds} Homes rendered and published\nMachine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url, standin(0.0) as slack:
            settings = bench_settings(redis_url).model_copy(
                update={"slack_api_url": slack.url})
            slack.bot_token = settings.bot_token
            async with open_runtime(settings, redis_url) as runtime:
                seconds = await fill(runtime, tickets, clients, spread * 3600)
                print(f"  filled in {seconds:.1f} s with store.create")
                homes, me = runtime.desk.homes, Actor(STAFF)
                home = await homes.home(me)  # warm: the directory's users.info, scripts
                renders: list[float] = []
                totals: list[float] = []
                for _ in range(rounds):
                    started = time.perf_counter()
                    home = await homes.home(me)
                    view = home_view(words_for("en"), home)
                    rendered = time.perf_counter()
                    await runtime.slack.publish_home(STAFF, view)
                    done = time.perf_counter()
                    renders.append(rendered - started)
                    totals.append(done - started)
    print("  sections: " + ", ".join(f"{p.section.value} {p.total:,}" for p in home.parts))
    print(f"  blocks in the view: {len(view['blocks'])} (Slack allows 100)")
    show("render (Redis + Block Kit)", percentiles(renders))
    show("render + views.publish", percentiles(totals))
    p99 = percentiles(totals)["p99"]
    print(f"  p99 render + publish {p99 * 1000:.1f} ms: "
          f"{'within' if p99 <= GOAL else 'OVER'} the {GOAL * 1000:.0f} ms goal")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--spread", type=float, default=6.0,
                        help="hours over which the tickets were opened")
    a = parser.parse_args()
    if min(a.tickets, a.clients, a.rounds) < 1:
        parser.error("--tickets, --clients and --rounds must be at least 1")
    asyncio.run(main(a.tickets, a.clients, a.rounds, a.spread))
    sys.exit(0)
