"""``serve``'s timer loop, in a process of its own.

The worker's renders, posts and Redis scripts would otherwise share the web's event loop,
and Slack would wait behind them for its acknowledgements. The child is ``python -m bot
worker`` on the same Redis; it is started again if it dies, stopped with ``serve``, and
dies with it should ``serve`` be killed. Its metrics join ``serve``'s own at ``/metrics``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys

log = logging.getLogger(__name__)

RESTART_AFTER = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Seconds before starting the timer loop again after it died, by how often in a row."""

HEALTHY_AFTER = 60.0
"""Seconds a timer loop runs before its death no longer counts as one more in a row."""

STOP_WITHIN = 30.0
"""How long the timer loop has to finish its jobs in flight once asked to stop."""

NICENESS = 5
"""How much lower the timer loop's CPU priority is than the web process's: a quarter of
the web's share when both want the same core, so a burst of clicks is answered first and
the reminders due meanwhile go out right after it, never starved."""

_PR_SET_PDEATHSIG = 1


def _in_the_child() -> None:
    """In the child, before it runs: yield the CPU to the web process when both want it
    (Slack waits on an answer; a reminder fires a few milliseconds later at worst), and be
    sent SIGTERM when ``serve`` dies (Linux)."""
    os.nice(NICENESS)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def loopback_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WorkerChild:
    """Runs ``python -m bot worker`` on ``redis_url`` until stopped; its metrics are served
    on loopback at ``metrics_url``."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url
        self.metrics_port = loopback_port()
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"

    def _env(self) -> dict[str, str]:
        return {**os.environ, "REDIS_URL": self.redis_url,
                "METRICS_PORT": str(self.metrics_port), "METRICS_HOST": "127.0.0.1"}

    async def run(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "worker", env=self._env(),
                preexec_fn=_in_the_child)
            log.info("timer loop started in process %d", child.pid)
            started = asyncio.get_running_loop().time()
            stopping = asyncio.ensure_future(stop.wait())
            exited = asyncio.ensure_future(child.wait())
            await asyncio.wait({stopping, exited}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if stop.is_set():
                await self._stop(child)
                return
            ran_well = asyncio.get_running_loop().time() - started >= HEALTHY_AFTER
            failures = 1 if ran_well else failures + 1
            delay = RESTART_AFTER[min(failures, len(RESTART_AFTER)) - 1]
            log.error("the timer loop (process %d) exited with %s; starting it again in "
                      "%.0f s", child.pid, child.returncode, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)

    @staticmethod
    async def _stop(child: asyncio.subprocess.Process) -> None:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.wait(), STOP_WITHIN)
        except TimeoutError:
            log.error("the timer loop did not stop within %.0f s; killed", STOP_WITHIN)
            child.kill()
            await child.wait()
