"""The Slack stand-in in a process of its own, so that its work does not slow the load
generator: ``python -m bench.standin --port N [--delay 0.05]``."""

from __future__ import annotations

import argparse
import asyncio

from bench.common import prepared


async def serve(port: int, delay: float) -> None:
    slack = prepared(delay)
    await slack.start(port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.05)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.delay))
