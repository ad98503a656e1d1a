"""``python -m bench.soak``: a vendor's month at 100x speed through faults, then the
checker's verdict (see the README's "Soak" section).

    python -m bench.soak --minutes 15              # one compressed day (10,000 tickets)
    python -m bench.soak --minutes 3 --per-day 3000 --faults-each 1   # CI's short soak
    python -m bench.soak --seed 7 ...              # the same traffic and faults again

It exits non-zero when the checker finds a notification lost, doubled, early or late, or
sent although answered; the run's folder (``--folder``) keeps every record for a replay.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import sys
import tempfile
import time
from pathlib import Path

from bench.common import machine
from bench.soak.chaos import Chaos
from bench.soak.check import check, render
from bench.soak.record import write_config
from bench.soak.traffic import Traffic
from bench.soak.world import config_for, world


async def soak(folder: Path, args: argparse.Namespace) -> int:
    config = config_for(args.seed, args.compression)
    write_config(folder, config)
    seconds = args.minutes * 60
    async with world(folder, args.compression, email=not args.no_email, drop=args.drop,
                     lease=args.lease, cluster=args.cluster) as w:
        traffic = Traffic(w, random.Random(args.seed), email_on=w.dovecot is not None)
        chaos = Chaos(w, random.Random(args.seed + 1), lease=args.lease)
        began = time.time()
        await asyncio.gather(traffic.run(seconds, args.per_day),
                             chaos.run(seconds - args.drain, args.faults_each))
        await traffic.close()
        ended = time.time()
        write_config(folder, dataclasses.replace(config, ended=ended))
        print(f"Soak: seed {args.seed}, {args.compression:g}x, {ended - began:.0f} s real "
              f"({(ended - began) * args.compression / 3600:.1f} h compressed) on {machine()}")
        print(f"  tickets {traffic.tickets}, faults injected: " + ", ".join(
            f"{kind} {n}" for kind, n in sorted(chaos.injected.items())))
        for error in traffic.errors[:20]:
            print(f"  generator: {error}")
    report = check(folder)
    print(render(report))
    print(f"  records: {folder}")
    return 0 if report.ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--per-day", type=float, default=10_000,
                        help="tickets in a compressed day, on average")
    parser.add_argument("--compression", type=float, default=100.0)
    parser.add_argument("--faults-each", type=int, default=5,
                        help="how many times each fault kind is injected")
    parser.add_argument("--drain", type=float, default=30.0,
                        help="seconds at the end with traffic but no new fault")
    parser.add_argument("--lease", type=float, default=5.0, help="JOB_LEASE_SECONDS")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--no-email", action="store_true", help="no Dovecot: no email")
    parser.add_argument("--cluster", action="store_true",
                        help="a Redis Cluster (three masters, three replicas): a master is "
                        "killed and its replica promoted instead of Redis restarting")
    parser.add_argument("--drop", help="lose the first notification whose text has this, to "
                        "see the checker catch it")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="desk-soak-"))
    folder.mkdir(parents=True, exist_ok=True)
    return asyncio.run(soak(folder, args))


if __name__ == "__main__":
    sys.exit(main())
