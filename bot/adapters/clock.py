"""The desk's one clock: Redis's, as every process reads it.

Deadlines are computed in Python and timers fire by Redis's ``TIME``; so that hosts whose
clocks disagree with Redis (or with each other) still fire on time, the clock is
calibrated against ``TIME`` and then runs on this process's monotonic clock. ``advance``
moves it forward on purpose (tests, the sandbox): the queue's scripts add the same shift
to ``TIME``, so a timer fires when the shifted clock reaches its due time.
"""

from __future__ import annotations

import time

from bot.adapters.connection import RedisClient


class Clock:
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
