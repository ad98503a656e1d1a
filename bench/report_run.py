"""Last month's report, alone in a process that loads only what a report needs: its time
and its peak RSS (run by ``bench.reports`` on the Redis it seeded). The tickets opened in
the month are read as the desk reads them: the resolved ones' outcomes, and the open ones
with their outcome so far under the standard plan.

    python -m bench.report_run REDIS_URL [--partitions 16]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from pathlib import Path

from redis.asyncio import Redis

from bot.adapters.keys import Layout
from bot.adapters.outcomes import Outcomes
from bot.domain.periods import month_of
from bot.domain.plans import default_plans
from bot.domain.reports import figures, tickets_in, to_csv
from bot.services.opened import opened_in


def peak_rss_kb() -> int:
    """This process's peak RSS (kB): ``VmHWM`` (``ru_maxrss`` on Linux keeps the peak of
    the process this one was forked from)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def report(url: str, partitions: int) -> None:
    """In a process of its own: last month's report, its time and the peak RSS."""
    redis = Redis.from_url(url, decode_responses=True)
    reader = Outcomes(redis, Layout(partitions))
    period = month_of(time.time(), back=1)
    names = {f"C{i:09d}": f"Client {i}" for i in range(1000)}
    standard = default_plans()["standard"]
    before = peak_rss_kb()
    started = time.perf_counter()
    found = await opened_in(reader, period.start, period.end, lambda _: standard, time.time())
    read = time.perf_counter() - started
    rows = figures(found, names)
    text = to_csv(rows)
    took = time.perf_counter() - started
    peak = peak_rss_kb()
    print(f"  {tickets_in(rows):,} tickets, {len(rows)} rows, CSV {len(text):,} bytes")
    print(f"  time: {took:.2f} s (Redis's replies and the open tickets' outcomes {read:.2f} "
          f"s; decoding, figures and CSV {took - read:.2f} s) (goal <= 2 s: "
          f"{'met' if took <= 2 else 'MISSED'})")
    print(f"  peak RSS: {peak / 1024:.1f} MB (before the report: {before / 1024:.1f} MB) "
          f"(goal <= 100 MB: {'met' if peak <= 100 * 1024 else 'MISSED'})")
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url")
    parser.add_argument("--partitions", type=int, default=16)
    a = parser.parse_args()
    asyncio.run(report(a.url, a.partitions))
