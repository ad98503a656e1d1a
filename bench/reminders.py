"""Reminder lateness and throughput: when warnings reach Slack, against when they were due.

1. Steady load: ``--rate`` warnings due every second for ``--seconds`` (50/s for 60 s);
   lateness = arrival at the Slack stand-in minus due time (goal: p99 at most 1 s).
2. Burst: ``--burst`` warnings (2,000) due in the same second: time until all reached the
   stand-in, duplicates and losses; then the same burst as arq deferred jobs on the same
   Redis and stand-in (goal: drained at least 2x faster than arq, none doubled or lost).

Each warning is an SLA timer (a ``FireTimer`` job) that, when it fires, arms its messages
as jobs of their own: a ``ReminderDM`` to the account manager and a ``TriageNote`` in the
triage thread. Lateness is measured on the DMs, when they reach the stand-in; doubled and
lost count both messages. The stand-in answers every call after ``--delay`` (50 ms).
One ``python -m bot worker`` process works the desk's queue; one arq worker
(``--arq-jobs`` at a time, 32 as ours).

    python -m bench.reminders [--rate 50] [--seconds 60] [--burst 2000] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import machine, percentiles, redis_server, show, standin
from bot.adapters.store import Store
from bot.domain.plans import default_plans
from bot.domain.sla import Step, desired_timers
from bot.domain.tickets import Client, Severity, Ticket
from bot.sandbox.standin import SlackStandIn
from tests.cli import ROOT, bot_env
from tests.conftest import AM, CLIENT_CHANNEL, TRIAGE

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


def arrivals(slack: SlackStandIn, channel: str, prefix: str) -> dict[str, list[float]]:
    """When each ticket's marked messages reached the stand-in."""
    found: dict[str, list[float]] = {}
    for call in slack.calls_to("chat.postMessage"):
        meta = (call.args.get("metadata") or {}).get("event_payload") or {}
        if call.args.get("channel") == channel and str(
                meta.get("notification", "")).startswith(prefix):
            found.setdefault(meta["ticket"], []).append(call.at)
    return found


async def workers(count: int, env: dict[str, str]) -> list[asyncio.subprocess.Process]:
    return [await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "worker", env=env, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        for _ in range(count)]


async def stop(processes: list[asyncio.subprocess.Process]) -> None:
    for p in processes:
        p.terminate()
    for p in processes:
        await p.wait()


async def wait_all(slack: SlackStandIn, prefix: str, keys: list[str], timeout: float) -> float:
    """When the last of ``keys`` got both its messages (or the timeout)."""
    wanted = set(keys)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if wanted <= arrivals(slack, AM, prefix).keys() and wanted <= arrivals(
                slack, TRIAGE, prefix).keys():
            break
        await asyncio.sleep(0.05)
    return max(max(times) for channel in (AM, TRIAGE)
               for key, times in arrivals(slack, channel, prefix).items() if key in wanted)


def integrity(slack: SlackStandIn, keys: list[str], prefix: str) -> tuple[int, int]:
    """(doubled, lost) messages over the DMs and the triage notes."""
    doubled = lost = 0
    for channel in (AM, TRIAGE):
        got = Counter({k: len(v) for k, v in arrivals(slack, channel, prefix).items()})
        doubled += sum(n - 1 for n in got.values() if n > 1)
        lost += sum(1 for k in keys if got[k] == 0)
    return doubled, lost


async def steady(slack: SlackStandIn, redis_url: str, rate: int, seconds: int,
                 count: int) -> dict[str, float]:
    n = rate * seconds
    start = time.time() + 5 + n / 2000
    dues = [start + i / rate for i in range(n)]
    keys = await arm(redis_url, dues, 0)
    due_of = dict(zip(keys, dues, strict=True))
    procs = await workers(count, bot_env(slack, redis_url, WARN_AT=str(WARN_AT)))
    try:
        await wait_all(slack, "warning", keys, seconds + 60)
    finally:
        await stop(procs)
    late = [min(times) - due_of[key] for key, times in
            arrivals(slack, AM, "warning").items()]
    stats = percentiles(late)
    doubled, lost = integrity(slack, keys, "warning")
    print(f"Steady: {rate} warnings/s for {seconds} s ({n} warnings), {count} worker(s)")
    show("lateness at the stand-in", stats)
    verdict = "met" if stats["p99"] <= 1.0 else "MISSED"
    print(f"  doubled {doubled}, lost {lost}; p99 {stats['p99']:.3f} s (goal <= 1 s: {verdict})")
    return stats


async def burst_desk(slack: SlackStandIn, redis_url: str, n: int, count: int) -> float:
    start = time.time() + 5 + n / 2000
    keys = await arm(redis_url, [start] * n, 100_000)
    procs = await workers(count, bot_env(slack, redis_url, WARN_AT=str(WARN_AT)))
    try:
        done = await wait_all(slack, "warning", keys, 300)
    finally:
        await stop(procs)
    doubled, lost = integrity(slack, keys, "warning")
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


async def burst_arq(slack: SlackStandIn, redis_url: str, n: int, jobs: int) -> float | None:
    python = arq_python()
    if python is None:
        return None
    start = time.time() + 5 + n / 500
    keys = [f"A-{i}" for i in range(n)]
    proc = await asyncio.create_subprocess_exec(
        python, "-m", "bench.arq_worker", "--redis", redis_url, "--slack", slack.url,
        "--n", str(n), "--at", str(start), "--jobs", str(jobs),
        env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        done = await wait_all(slack, "warning:arq", keys, 60 + n / 10)
    finally:
        await stop([proc])
    doubled, lost = integrity(slack, keys, "warning:arq")
    print(f"  arq ({jobs} jobs at a time): all at the stand-in {done - start:.2f} s after "
          f"due; doubled {doubled}, lost {lost}")
    return done - start


async def main(rate: int, seconds: int, burst: int, count: int, delay: float,
               arq_jobs: int) -> None:
    print(f"Reminders; Slack stand-in delay {delay * 1000:.0f} ms\nMachine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        async with redis_server(Path(tmp)) as redis_url, standin(delay) as slack:
            if seconds > 0:
                await steady(slack, redis_url, rate, seconds, count)
            if burst > 0:
                ours = await burst_desk(slack, redis_url, burst, count)
                theirs = (await burst_arq(slack, redis_url, burst, arq_jobs)
                          if arq_jobs > 0 else None)
                if theirs:
                    verdict = "met" if theirs / ours >= 2 else "MISSED"
                    print(f"  desk drained {theirs / ours:.2f}x faster than arq "
                          f"(goal >= 2x: {verdict})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--arq-jobs", type=int, default=32,
                        help="arq's concurrency in the comparison; 0 leaves arq out")
    a = parser.parse_args()
    asyncio.run(main(a.rate, a.seconds, a.burst, a.workers, a.delay, a.arq_jobs))
