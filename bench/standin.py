"""The Slack stand-in in a process of its own, so that its work does not slow the load
generator: ``python -m bench.standin --port N [--delay 0.05] [--clients N]``."""

from __future__ import annotations

import argparse
import asyncio

from bench.common import prepared


async def serve(port: int, delay: float, clients: int) -> None:
    slack = prepared(delay, clients)
    await slack.start(port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--clients", type=int, default=0,
                        help="members of the client's organisation to know (U0EXT000000...)")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.delay, args.clients))
