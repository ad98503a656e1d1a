"""Automatic assignment's state in Redis (``keys``): whose turn it is, taken atomically
across processes (a compare-and-set script), who is skipped, and how many open tickets
each person holds (from the indices)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import cast

from bot.adapters.connection import RedisClient
from bot.adapters.index import Index
from bot.adapters.keys import ASSIGN_TURN, skip_key
from bot.domain.urgency import ByHolder

log = logging.getLogger(__name__)

TURN_CAS = """
local now = redis.call('GET', KEYS[1]) or ''
if now ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
"""
"""Record the new choice only if the previous one is still the one the choice was made
after: two processes choosing at once never both take the same turn."""
ATTEMPTS = 50


class RedisRoster:
    def __init__(self, redis: RedisClient, index: Index) -> None:
        self.redis = redis
        self.index = index
        self._cas = redis.register_script(TURN_CAS)

    async def take_turn(self, pick: Callable[[str | None], str | None]) -> str | None:
        for _ in range(ATTEMPTS):
            last = cast(str | None, await self.redis.get(ASSIGN_TURN))
            chosen = pick(last or None)
            if chosen is None:
                return None
            if await self._cas(keys=[ASSIGN_TURN], args=[last or "", chosen]):
                return chosen
        raise RuntimeError(f"the assignment turn kept changing; gave up after {ATTEMPTS}")

    async def skip(self, user: str, seconds: float) -> None:
        await self.redis.set(skip_key(user), "1", px=max(1, round(seconds * 1000)))

    async def skipped(self, users: Sequence[str]) -> frozenset[str]:
        if not users:
            return frozenset()
        found = await self.redis.mget([skip_key(u) for u in users])
        return frozenset(u for u, v in zip(users, found, strict=True) if v is not None)

    async def busy(self, users: Sequence[str]) -> dict[str, int]:
        ranked = await self.index.ranked([(ByHolder(u), None, 1) for u in users])
        return {u: r.total for u, r in zip(users, ranked, strict=True)}
