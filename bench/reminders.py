"""Reminder lateness and throughput: when warnings reach Slack, against when they were due.

1. Steady load: ``--rate`` warnings due every second for ``--seconds`` (50/s for 60 s) on
   ``--workers`` desk workers; lateness = arrival at the Slack stand-in minus due time
   (goal: p99 at most 1 s, none doubled or lost).
2. Burst: ``--burst`` warnings (2,000) due in the same second: time until all reached the
   stand-in, duplicates and losses; then the same burst as arq deferred jobs on the same
   Redis and stand-in, one arq worker running ``--arq-jobs`` at once (by default as many
   as one desk worker, 64) and polling every ``--arq-poll`` s (arq's default, 0.5).
   Goal: the desk drains it at least 2x faster than arq, none doubled or lost. arq
   starts at most ``max_jobs`` due jobs per poll, so it drains about
   ``arq-jobs / arq-poll`` jobs a second (128 by default), however quick the jobs.

Each warning is an SLA timer (a ``FireTimer`` job) that, when it fires, arms its messages
as jobs of their own: a ``ReminderDM`` to the account manager and a ``TriageNote`` in the
triage thread. Lateness is measured on the DMs, when they reach the stand-in; doubled and
lost count both messages. The stand-in answers every call after ``--delay`` (50 ms).

Every run has a time limit: all its messages must be at the stand-in within ``--limit``
seconds (120) after its last due time. A run past it is stopped and reported with what
had arrived; an arq worker that cannot start or dies is reported with its last words.
Either way the script goes on and ends.

    python -m bench.reminders [--rate 50] [--seconds 60] [--burst 2000] [--workers 1]
        [--arq-jobs 64] [--arq-poll 0.5] [--limit 120]
    python -m bench.reminders --workers 2 --rate 500 --seconds 60 --burst 0
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import machine, percentiles, redis_server, show, standin
from bot.adapters.store import Store
from bot.delivery.worker import CONCURRENCY
from bot.domain.plans import default_plans
from bot.domain.sla import Step, desired_timers
from bot.domain.tickets import Client, Severity, Ticket
from bot.sandbox.standin import SlackStandIn
from tests.support.cli import ROOT, bot_env
from tests.support.processes import stop
from tests.support.workspace import AM, CLIENT_CHANNEL, TRIAGE

TARGET = 3600
WARN_AT = 0.75
LEAD = TARGET * WARN_AT
"""A Critical ticket warns 15 minutes before its deadline: created = due - 45 min."""


async def arm(redis_url: str, dues: list[float], first: int) -> list[str]:
    """Open tickets whose warnings are due at ``dues`` (already posted in Slack): one armed
    warning timer each (``timer:<n>:warning:<gen>``)."""
    from redis.asyncio import Redis

    redis = Redis.from_url(redis_url, decode_responses=True)
    store = Store(redis)
    await store.put_client(Client(CLIENT_CHANNEL, "Acme", "standard", AM))
    plan = default_plans()["standard"]
    keys = []
    for i, due in enumerate(dues):
        draft = Ticket(number=0, channel=CLIENT_CHANNEL, reporter=AM, title=f"t{first + i}",
                       description="d", severity=Severity.CRITICAL, created_at=due - LEAD,
                       client_ts=f"1.{first + i:06d}", triage_ts=f"2.{first + i:06d}")
        timers = [t for t in desired_timers(draft, plan, due - 1, WARN_AT)
                  if t.step is Step.WARNING]
        saved, _ = await store.create(draft, once=None, once_ttl=60, jobs=[], timers=timers)
        keys.append(saved.ticket.key)
    await redis.aclose()
    return keys


class Arrivals:
    """When each ticket's marked messages reached the stand-in, by channel (the manager's
    DMs, the triage notes). Each look reads only the calls made since the last: the
    stand-in serves on this process's loop, and rescanning tens of thousands of calls
    twenty times a second would slow the very answers being timed."""

    def __init__(self, slack: SlackStandIn, prefix: str) -> None:
        self.slack, self.prefix = slack, prefix
        self.at: dict[str, dict[str, list[float]]] = {AM: {}, TRIAGE: {}}
        self._read = 0

    def update(self) -> list[str]:
        """Read the new calls; returns the tickets that now have both their messages."""
        calls = self.slack.calls
        complete = []
        for call in calls[self._read:]:
            if call.method != "chat.postMessage":
                continue
            channel = str(call.args.get("channel"))
            found = self.at.get(channel)
            meta = (call.args.get("metadata") or {}).get("event_payload") or {}
            if found is not None and str(meta.get("notification", "")).startswith(
                    self.prefix):
                ticket = meta["ticket"]
                times = found.setdefault(ticket, [])
                times.append(call.at)
                other = self.at[TRIAGE if channel == AM else AM]
                if len(times) == 1 and ticket in other:
                    complete.append(ticket)
        self._read = len(calls)
        return complete

    def arrived(self, keys: list[str]) -> int:
        """How many of ``keys`` have both their messages at the stand-in."""
        return sum(1 for k in keys if k in self.at[AM] and k in self.at[TRIAGE])


async def workers(count: int, env: dict[str, str]) -> list[asyncio.subprocess.Process]:
    return [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "worker", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        for _ in range(count)]


async def wait_all(seen: Arrivals, keys: list[str], until: float,
                   alive: asyncio.subprocess.Process | None = None) -> float | None:
    """When the last of ``keys`` got both its messages; None if some had not by ``until``
    (epoch seconds), or when ``alive`` ended first."""
    wanted = set(keys)
    pending = {k for k in wanted if k not in seen.at[AM] or k not in seen.at[TRIAGE]}
    while True:
        pending.difference_update(seen.update())
        if not pending:
            return max(max(seen.at[channel][key]) for channel in (AM, TRIAGE)
                       for key in wanted)
        if time.time() > until or (alive is not None and alive.returncode is not None):
            return None
        await asyncio.sleep(0.05)


def integrity(seen: Arrivals, keys: list[str]) -> tuple[int, int]:
    """(doubled, lost) messages over the DMs and the triage notes."""
    seen.update()
    doubled = lost = 0
    for channel in (AM, TRIAGE):
        got = Counter({k: len(v) for k, v in seen.at[channel].items()})
        doubled += sum(n - 1 for n in got.values() if n > 1)
        lost += sum(1 for k in keys if got[k] == 0)
    return doubled, lost


async def armed(redis_url: str, dues: list[float], first: int) -> list[str]:
    """``arm``, saying so if the arming ran past the first due time (the workers start
    only after it, so the first warnings would be late for the bench's sake)."""
    keys = await arm(redis_url, dues, first)
    spare = min(dues) - time.time()
    if spare < 1:
        when = "before" if spare >= 0 else "after"
        print(f"  (the arming ended {abs(spare):.2f} s {when} the first due time: the "
              "first warnings' lateness may include it)")
    return keys


async def steady(slack: SlackStandIn, redis_url: str, rate: int, seconds: int,
                 count: int, limit: float) -> dict[str, float] | None:
    n = rate * seconds
    start = time.time() + 5 + n / 1000
    dues = [start + i / rate for i in range(n)]
    keys = await armed(redis_url, dues, 0)
    due_of = dict(zip(keys, dues, strict=True))
    seen = Arrivals(slack, "warning")
    procs = await workers(count, bot_env(slack, redis_url, WARN_AT=str(WARN_AT)))
    try:
        done = await wait_all(seen, keys, dues[-1] + limit)
    finally:
        await stop(*procs, grace=10)
    doubled, lost = integrity(seen, keys)
    print(f"Steady: {rate} warnings/s for {seconds} s ({n} warnings), {count} worker(s)")
    if done is None:
        print(f"  NOT DRAINED within {limit:.0f} s of the last due time: "
              f"{seen.arrived(keys)} of {n} warnings at the stand-in")
    late = [min(times) - due_of[key] for key, times in seen.at[AM].items()
            if key in due_of]
    if not late:
        print("  no warning reached the stand-in")
        return None
    stats = percentiles(late)
    show("lateness at the stand-in", stats)
    if seconds >= 20:  # does it keep up, or fall behind as the run goes on?
        tens = [[min(times) - due_of[key] for key, times in seen.at[AM].items()
                 if key in due_of and start + t <= due_of[key] < start + t + 10]
                for t in range(0, seconds, 10)]
        print("  p99 by 10 s of due time: " + ", ".join(
            f"{percentiles(ten)['p99']:.2f}" if ten else "-" for ten in tens) + " s")
    verdict = "met" if stats["p99"] <= 1.0 and done is not None else "MISSED"
    print(f"  doubled {doubled}, lost {lost}; p99 {stats['p99']:.3f} s (goal <= 1 s: {verdict})")
    return stats


async def burst_desk(slack: SlackStandIn, redis_url: str, n: int, count: int,
                     limit: float) -> float | None:
    start = time.time() + 5 + n / 1000
    keys = await armed(redis_url, [start] * n, 100_000)
    seen = Arrivals(slack, "warning")
    procs = await workers(count, bot_env(slack, redis_url, WARN_AT=str(WARN_AT)))
    try:
        done = await wait_all(seen, keys, start + limit)
    finally:
        await stop(*procs, grace=10)
    doubled, lost = integrity(seen, keys)
    if done is None:
        print(f"Burst: {n} warnings due at once, {count} desk worker(s): NOT DRAINED within "
              f"{limit:.0f} s: {seen.arrived(keys)} at the stand-in; doubled {doubled}, "
              f"lost {lost}")
        return None
    print(f"Burst: {n} warnings due at once, {count} desk worker(s): all at the stand-in "
          f"{done - start:.2f} s after due; doubled {doubled}, lost {lost}")
    return done - start


def arq_python() -> str | None:
    """A python with arq in a virtualenv of its own (arq pins redis-py below ours)."""
    venv = ROOT / ".venv-arq"
    python = venv / "bin" / "python"
    if not python.exists():
        print("  (installing arq into .venv-arq for the comparison)")
        made = subprocess.run([sys.executable, "-m", "venv", str(venv)], check=False)
        installed = made.returncode == 0 and subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "arq", "slack-sdk", "aiohttp"], check=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL).returncode == 0
        if not installed:
            print("  arq could not be installed: no comparison")
            return None
    return str(python)


async def burst_arq(slack: SlackStandIn, redis_url: str, n: int, jobs: int, poll: float,
                    limit: float) -> float | None:
    """The same burst through one arq worker; None (having said why) if it did not drain."""
    python = arq_python()
    if python is None:
        return None
    start = time.time() + 5 + n / 500
    keys = [f"A-{i}" for i in range(n)]
    seen = Arrivals(slack, "warning:arq")
    with tempfile.TemporaryFile() as log:
        proc = await asyncio.create_subprocess_exec(
            python, "-m", "bench.arq_worker", "--redis", redis_url, "--slack", slack.url,
            "--n", str(n), "--at", str(start), "--jobs", str(jobs), "--poll", str(poll),
            env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
            stdout=log, stderr=subprocess.STDOUT)
        try:
            done = await wait_all(seen, keys, start + limit, alive=proc)
            exited = proc.returncode
            if done is not None:  # in burst mode it ends by itself once its queue is empty
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 10)
        finally:
            await stop(proc, grace=10)
        log.seek(0)
        said = log.read().decode(errors="replace").strip().splitlines()
    doubled, lost = integrity(seen, keys)
    label = f"  arq ({jobs} jobs at a time, polling every {poll:g} s)"
    for line in said:
        if line.startswith(("enqueued", "arq worker:")):
            print(f"    {line}")
    if done is None:
        why = (f"its worker exited (code {exited}) before the burst was delivered, saying: "
               f"{said[-1] if said else '(nothing)'}" if exited is not None else
               f"not drained within {limit:.0f} s of due, stopped")
        print(f"{label}: could not be compared: {why}; {seen.arrived(keys)} of {n} at the "
              f"stand-in, doubled {doubled}")
        return None
    print(f"{label}: all at the stand-in {done - start:.2f} s after due; doubled {doubled}, "
          f"lost {lost}")
    return done - start


async def main(rate: int, seconds: int, burst: int, count: int, delay: float,
               arq_jobs: int, arq_poll: float, limit: float) -> None:
    print(f"Reminders; Slack stand-in delay {delay * 1000:.0f} ms\nMachine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url, standin(delay) as slack:
            if seconds > 0:
                await steady(slack, redis_url, rate, seconds, count, limit)
            if burst > 0:
                ours = await burst_desk(slack, redis_url, burst, count, limit)
                theirs = (await burst_arq(slack, redis_url, burst, arq_jobs, arq_poll, limit)
                          if arq_jobs > 0 else None)
                if ours and theirs:
                    verdict = "met" if theirs / ours >= 2 else "MISSED"
                    print(f"  desk drained {theirs / ours:.2f}x faster than arq "
                          f"(goal >= 2x: {verdict})")
                elif arq_jobs > 0:
                    print("  no ratio: one side did not drain (above)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--arq-jobs", type=int, default=CONCURRENCY,
                        help="arq's max_jobs (default: a desk worker's concurrency); "
                             "0 leaves arq out")
    parser.add_argument("--arq-poll", type=float, default=0.5,
                        help="arq's poll_delay in seconds (0.5 is arq's default)")
    parser.add_argument("--limit", type=float, default=120.0,
                        help="seconds after the last due time a run may take to deliver")
    a = parser.parse_args()
    asyncio.run(main(a.rate, a.seconds, a.burst, a.workers, a.delay, a.arq_jobs,
                     a.arq_poll, a.limit))
