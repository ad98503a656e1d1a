"""Faults on a seeded schedule: a ``serve`` or a worker killed (SIGKILL) and started
again, Redis killed and started again from its append-only file (on a cluster: a master
killed and its replica promoted), Slack answering 429 with
Retry-After or 503 for a while, ``users.info`` slow, the SMTP server refusing, the IMAP
server restarting. Each is written down (``faults.jsonl``) with when it began and when
the desk could work again: the checker allows what fell due inside a fault until 2 s after
its end."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from bench.soak.record import Fault, FaultKind, write_line
from bench.soak.world import World

SLACK_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open",
                 "views.publish", "users.info", "conversations.open", "chat.getPermalink",
                 "reactions.add", "conversations.replies", "files.getUploadURLExternal",
                 "auth.test")
"""What a Slack outage refuses (everything the desk calls in a soak)."""


@dataclass
class Chaos:
    world: World
    rng: random.Random
    lease: float
    """``JOB_LEASE_SECONDS``: how long a killed worker's job waits before another takes it."""
    injected: dict[str, int] = field(default_factory=dict)

    async def _window(self, kind: FaultKind, seconds: float, begin: Callable[[], None],
                      end: Callable[[], None], target: str = "") -> None:
        start = time.time()
        begin()
        try:
            await asyncio.sleep(seconds)
        finally:
            end()
        self._log(kind, start, time.time(), target)

    def _log(self, kind: FaultKind, start: float, end: float, target: str = "") -> None:
        write_line(self.world.folder / "faults.jsonl", Fault(kind, start, end, target))
        self.injected[kind] = self.injected.get(kind, 0) + 1

    async def kill_serve(self) -> None:
        alive = self.world.alive
        if len(alive) < 2:
            return  # one is already down: a load balancer with none behind it is no soak
        serve = self.rng.choice(alive)
        assert serve.process is not None
        start = time.time()
        serve.process.kill()
        await serve.process.wait()
        await asyncio.sleep(self.rng.uniform(0.2, 1.5))
        await self.world.start_serve(serve)
        # Its worker's jobs in flight wait out their lease before another worker runs them.
        self._log("kill_serve", start, max(time.time(), start + self.lease), str(serve.port))

    async def kill_worker(self) -> None:
        serve = self.rng.choice(self.world.alive or self.world.serves)
        start = time.time()
        if not self.world.kill_worker(serve):
            return
        deadline = start + 30
        while not self.world.workers_of(serve) and time.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # serve starts a new worker: nothing to wait on but /proc
        self._log("kill_worker", start, max(time.time(), start + self.lease), str(serve.port))

    async def redis_restart(self) -> None:
        start = time.time()
        await asyncio.to_thread(self.world.restart_redis, self.rng.uniform(0.2, 1.0))
        self._log("redis_restart", start, time.time())

    async def redis_failover(self) -> None:
        start = time.time()
        port = await asyncio.to_thread(self.world.fail_over, self.rng)
        self._log("redis_failover", start, time.time(), port)

    async def slack_down(self, status: int) -> None:
        slack = self.world.slack

        def begin() -> None:
            for method in SLACK_METHODS:
                slack.fail(method, status=status, retry_after=1 if status == 429 else None,
                           times=10**9)

        def end() -> None:
            for method in SLACK_METHODS:
                slack.failures.pop(method, None)
        await self._window("slack_429" if status == 429 else "slack_5xx",
                           self.rng.uniform(3, 8), begin, end)

    async def slow_users_info(self) -> None:
        slack = self.world.slack
        await self._window("slow_users_info", self.rng.uniform(5, 10),
                           lambda: slack.delays.__setitem__("users.info", 2.5),
                           lambda: slack.delays.clear())

    async def smtp_refusing(self) -> None:
        sink = self.world.sink
        await self._window("smtp_refusing", self.rng.uniform(5, 10),
                           lambda: setattr(sink, "refusing", True),
                           lambda: setattr(sink, "refusing", False))

    async def imap_restart(self) -> None:
        dovecot = self.world.dovecot
        if dovecot is None:
            return
        start = time.time()
        await asyncio.to_thread(dovecot.stop)
        await asyncio.sleep(self.rng.uniform(0.5, 2.0))
        await asyncio.to_thread(dovecot.start)
        self._log("imap_restart", start, time.time())

    def kinds(self) -> dict[FaultKind, Callable[[], Coroutine[Any, Any, None]]]:
        kinds: dict[FaultKind, Callable[[], Coroutine[Any, Any, None]]] = {
            "kill_serve": self.kill_serve, "kill_worker": self.kill_worker,
            **({"redis_failover": self.redis_failover} if self.world.cluster else
               {"redis_restart": self.redis_restart}),
            "slack_429": lambda: self.slack_down(429), "slack_5xx": lambda: self.slack_down(503),
            "slow_users_info": self.slow_users_info, "smtp_refusing": self.smtp_refusing}
        if self.world.dovecot is not None:
            kinds["imap_restart"] = self.imap_restart
        return kinds

    async def run(self, seconds: float, each: int) -> None:
        """Each fault kind ``each`` times, at seeded moments of the first ``seconds``, in
        a shuffled order, sometimes two at once."""
        kinds = self.kinds()
        plan = [kind for kind in kinds for _ in range(each)]
        self.rng.shuffle(plan)
        gap = seconds / (len(plan) + 1)
        began = time.time()
        running: set[asyncio.Task[None]] = set()
        for n, kind in enumerate(plan):
            at = began + gap * (n + 1) + self.rng.uniform(-gap / 3, gap / 3)
            await asyncio.sleep(max(0.0, at - time.time()))
            task = asyncio.create_task(kinds[kind]())
            running.add(task)
            task.add_done_callback(running.discard)
        if running:
            await asyncio.gather(*running)
