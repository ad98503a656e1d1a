"""The desk's time: Redis's clock, as every process reads it.

Deadlines are computed in Python and timers fire by Redis's ``TIME``; so that hosts whose
clocks disagree with Redis (or with each other) still fire on time, the clock is
calibrated against ``TIME`` and then runs on this process's monotonic clock, calibrated
again every minute while the process runs (``keep_calibrated``). ``advance``
moves it forward on purpose (tests, the sandbox): the queue's scripts add the same shift
to ``TIME``, so a timer fires when the shifted clock reaches its due time.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.exceptions import RedisError

from bot.adapters.connection import RedisClient, stand_by_cancellation

log = logging.getLogger(__name__)

CALIBRATE_EVERY = 60.0
"""Seconds between calibrations of a running process's clock against Redis's ``TIME``."""


class RedisTime:
    def __init__(self) -> None:
        self._offset = time.time() - time.monotonic()
        self.shift = 0.0

    def now(self) -> float:
        """Epoch seconds by Redis's clock (plus the shift)."""
        return time.monotonic() + self._offset + self.shift

    def __call__(self) -> float:
        return self.now()

    def shift_ms(self) -> int:
        return round(self.shift * 1000)

    def advance(self, seconds: float) -> None:
        self.shift += seconds

    async def calibrate(self, redis: RedisClient) -> float:
        """Align with Redis's ``TIME``; returns how far this host's clock is from it (s)."""
        before = time.monotonic()
        seconds, micros = await redis.time()
        after = time.monotonic()
        self._offset = seconds + micros / 1e6 - (before + after) / 2
        return time.time() - (time.monotonic() + self._offset)

    async def keep_calibrated(self, redis: RedisClient) -> None:
        """Calibrate every ``CALIBRATE_EVERY`` seconds, until cancelled: Redis's clock can
        move under a running process (an NTP step on its host, a failover to a replica on
        another host), and this host's monotonic clock stands still while it is suspended."""
        while True:
            await asyncio.sleep(CALIBRATE_EVERY)
            before = self.now()
            try:
                await self.calibrate(redis)
            except (RedisError, OSError):
                continue  # Redis is away; the next round tries again
            finally:
                stand_by_cancellation()
            moved = self.now() - before
            if abs(moved) > 1:
                log.warning("the desk's clock moved %+.1f s to keep to Redis's", moved)
