"""Business-time arithmetic under a real office calendar: how long ``add`` and
``desired_timers`` take per call (figures printed, not asserted).

The calendar is a Rome office with a lunch break (mon-fri 09:00-13:00, 14:00-18:00),
Italian public holidays plus 2026-12-24, built from JSON by ``parse_calendars`` as
``CALENDARS`` is; the plan by ``parse_plans`` as ``PLANS`` is.

1. ``add``: 80 business hours (two working weeks, across holidays) from ``--n`` starts
   spread over 2026, each call timed with ``time.perf_counter_ns``: warm (after a warm-up
   pass over the same starts) and cold (``day_spans``' cache cleared before every call).
   Goal: median <= 20 µs warm.
2. ``desired_timers`` for a claimed ticket with a first response, a past pause waiting
   on the client, and a later client message awaiting an answer, on a plan with
   next-response, update and resolution targets: its next-response, update and
   resolution clocks run (the first response stopped the initial-response clock: the
   four cannot run at once); and, for comparison, a fresh unclaimed ticket (initial
   response and resolution). Goal: median <= 100 µs.
3. ``cProfile`` of the warm ``add`` loop: the top 8 functions by cumulative time.

    python -m bench.calendar [--n 20000]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime
from functools import partial
from zoneinfo import ZoneInfo

from bench.common import STAFF, machine
from bot.config.plans import parse_calendars, parse_plans
from bot.domain.calendar import Calendar, add, day_spans
from bot.domain.plans import STANDARD, Plan
from bot.domain.sla import Step, desired_timers, windows
from bot.domain.tickets import Severity, Status, Ticket
from bot.domain.transitions import change_status, claim, record_client_message
from tests.support.workspace import AM

OFFICE = "office"
ROME = "Europe/Rome"
CALENDARS = json.dumps({OFFICE: {
    "timezone": ROME,
    "hours": {"mon-fri": ["09:00-13:00", "14:00-18:00"]},
    "holidays": ["IT", "2026-12-24"],
}})
"""``CALENDARS`` for the Rome office (the sweep bench's ``--calendar`` uses it too)."""

PLANS = json.dumps({STANDARD: {
    "calendar": OFFICE,
    "next_response": {"critical": "PT1H", "high": "PT2H", "medium": "PT4H", "low": "P1D"},
    "resolve_within": {"critical": "P1D", "high": "P2D", "medium": "P5D", "low": "P10D"},
}})
"""``PLANS``: the standard plan (every other plan builds on it) on the office calendar, with
next-response and resolution targets besides its initial-response and update ones."""

HOUR = 3600
ADD_SECONDS = 80 * HOUR
YEAR = 2026
WARN_AT = 0.75


def office() -> tuple[Calendar, Plan]:
    calendars = parse_calendars(CALENDARS, today=date(YEAR, 6, 1))
    return calendars[OFFICE], parse_plans(PLANS, calendars)[STANDARD]


def starts(n: int) -> list[float]:
    """``n`` moments spread over the year (any second, open or closed time), shuffled."""
    first = datetime(YEAR, 1, 1, tzinfo=ZoneInfo(ROME)).timestamp()
    last = datetime(YEAR + 1, 1, 1, tzinfo=ZoneInfo(ROME)).timestamp()
    rng = random.Random(2026)
    return [float(int(rng.uniform(first, last))) for _ in range(n)]


def per_call(fn: Callable[[], object], rounds: int) -> list[float]:
    """Microseconds each of ``rounds`` calls of ``fn`` took, after ``rounds`` untimed
    calls (the warm-up)."""
    for _ in range(rounds):
        fn()
    clock = time.perf_counter_ns
    out = []
    for _ in range(rounds):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1000)
    return out


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def line(label: str, us: list[float], goal: float | None = None) -> str:
    median = statistics.median(us)
    text = (f"  {label:<30} n={len(us):>6}  median {median:8.2f} µs  p90 {pct(us, 0.90):8.2f}"
            f" µs  p99 {pct(us, 0.99):8.2f} µs")
    if goal is not None:
        text += f"  (goal median <= {goal:g} µs: {'met' if median <= goal else 'MISSED'})"
    return text


def time_add(calendar: Calendar, moments: list[float]) -> tuple[list[float], list[float]]:
    """Warm and cold microseconds per ``add`` call, one call per start."""
    for start in moments:  # the warm-up: every day the loop needs is cached after it
        add(start, ADD_SECONDS, calendar)
    clock = time.perf_counter_ns
    warm = []
    for start in moments:
        t0 = clock()
        add(start, ADD_SECONDS, calendar)
        warm.append((clock() - t0) / 1000)
    cold = []
    for start in moments:
        day_spans.cache_clear()
        t0 = clock()
        add(start, ADD_SECONDS, calendar)
        cold.append((clock() - t0) / 1000)
    return warm, cold


def at(month: int, day: int, hh: int, mm: int = 0) -> float:
    return datetime(YEAR, month, day, hh, mm, tzinfo=ZoneInfo(ROME)).timestamp()


def busy_ticket() -> tuple[Ticket, float]:
    """A high ticket opened Monday 2026-03-02 10:00 Rome, claimed (the claim a first
    response) at 10:20, waiting on the client 11:00 to Tuesday 10:00, back with support,
    and a client message at 15:00 still unanswered; and ``now``, 15:30 that Tuesday."""
    ticket = Ticket(number=1, channel="C0BENCH0000", reporter=AM, title="Checkout fails",
                    description="502 on every payment", severity=Severity.HIGH,
                    created_at=at(3, 2, 10))
    ticket = claim(ticket, STAFF, at(3, 2, 10, 20), claim_is_response=True)
    ticket = change_status(ticket, Status.WAITING_ON_CLIENT, STAFF, at(3, 2, 11))
    ticket = change_status(ticket, Status.CLAIMED, STAFF, at(3, 3, 10))
    ticket = record_client_message(ticket, at(3, 3, 15))
    return ticket, at(3, 3, 15, 30)


def ticket_story(ticket: Ticket) -> str:
    if ticket.assignee is None:
        return "open, unclaimed"
    paused = sum(c.new is Status.WAITING_ON_CLIENT for c in ticket.status_changes)
    return (f"claimed with a first response, {paused} past pause waiting on the client, "
            f"{'a client message awaiting an answer' if ticket.awaiting_since else 'answered'}")


def fresh_ticket() -> tuple[Ticket, float]:
    """A high ticket opened Friday 2026-03-06 17:30 Rome, unclaimed; ``now`` 17:45."""
    ticket = Ticket(number=2, channel="C0BENCH0000", reporter=AM, title="Checkout fails",
                    description="502 on every payment", severity=Severity.HIGH,
                    created_at=at(3, 6, 17, 30))
    return ticket, at(3, 6, 17, 45)


def profile_add(calendar: Calendar, moments: list[float]) -> str:
    for start in moments:  # warm again: the cold figure left the cache nearly empty
        add(start, ADD_SECONDS, calendar)
    profiler = cProfile.Profile()
    profiler.enable()
    for start in moments:
        add(start, ADD_SECONDS, calendar)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(8)
    text = out.getvalue()
    # From the table's header on (pstats starts with a summary and the sort order).
    head = text.find("   ncalls")
    return text[head:].rstrip() if head >= 0 else text.rstrip()


def main(n: int) -> None:
    calendar, plan = office()
    print(f"Calendar arithmetic: {calendar.describe()}, {len(calendar.holidays)} holidays "
          f"(IT, 2024-2034, and 2026-12-24)\nMachine: {machine()}")

    moments = starts(n)
    warm, cold = time_add(calendar, moments)
    print(f"\n1. add(start, 80 business hours) from {n:,} starts spread over {YEAR}")
    print(line("add, warm (day_spans cached)", warm, goal=20))
    print(line("add, cold (cache cleared)", cold))
    print("  (cold: bot.domain.calendar.day_spans.cache_clear() before each call)")

    print(f"\n2. desired_timers (plan {plan.name!r} on {calendar.name!r}, warm)")
    for label, (ticket, now) in (("busy ticket", busy_ticket()),
                                 ("fresh ticket", fresh_ticket())):
        running = [c.value for c in windows(ticket, plan)]
        timers = desired_timers(ticket, plan, now, WARN_AT)
        update = any(t.step is Step.UPDATE for t in timers)
        print(f"  {label}: {ticket_story(ticket)}\n    clocks running "
              f"{', '.join(running + (['update'] if update else []))}; {len(timers)} timers")
        us = per_call(partial(desired_timers, ticket, plan, now, WARN_AT), n)
        print(line(f"desired_timers, {label}", us, goal=100))

    print(f"\n3. cProfile of the warm add loop ({n:,} calls), top 8 by cumulative time")
    print(profile_add(calendar, moments))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="calls per figure")
    a = parser.parse_args()
    if a.n < 1:
        parser.error("--n must be at least 1")
    main(a.n)
