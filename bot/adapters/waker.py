"""Waiting for the queue's wake-up tokens: a job that becomes the earliest due of its
partition pushes one (``keys.ARM_LUA``), so an idle worker claims it at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import RedisCluster
from redis.exceptions import RedisError

from bot.adapters.connection import RedisClient
from bot.adapters.keys import Layout, Partition

log = logging.getLogger(__name__)

LISTEN_SECONDS = 5
"""How long one wait for a partition's token blocks (under the connection's timeout)."""


class Waker:
    """Waits for the wake-up tokens of every partition's queue.

    One partition: a blocking pop of its token for as long as asked. Several (which may
    live on different shards, where one pop cannot wait on them all): a listener per
    partition, each popping its token in turn, that sets one event.
    """

    def __init__(self, redis: RedisClient, layout: Layout) -> None:
        self.redis, self.layout = redis, layout
        self._woken = asyncio.Event()
        self._listeners: list[asyncio.Task[None]] = []
        self._closing = False

    async def wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if len(self.layout.all) == 1:
            await self.redis.blpop([self.layout.all[0].wake], timeout=max(seconds, 0.01))
            return
        if not self._listeners:
            if isinstance(self.redis, RedisCluster):
                # Learn the slots first: many first commands at once break connections.
                await self.redis.initialize()
            self._listeners = [asyncio.create_task(self._listen(part))
                               for part in self.layout.all]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), seconds)
        self._woken.clear()

    async def _listen(self, part: Partition) -> None:
        while not self._closing:
            try:
                if await self.redis.blpop([part.wake], timeout=LISTEN_SECONDS):
                    self._woken.set()
            except (RedisError, OSError) as exc:
                if self._closing:
                    return  # the cluster client reports a cancelled wait as a lost connection
                log.warning("cannot wait for the jobs of %s (%s); again in 1 s", part.ns, exc)
                self._woken.set()  # the worker claims (and reports) meanwhile
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        self._closing = True
        for task in self._listeners:
            task.cancel()
        await asyncio.gather(*self._listeners, return_exceptions=True)
        self._listeners = []
