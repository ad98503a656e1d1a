"""Who looks at App Home, what their Home shows, and which page of each section (``keys``:
``home:viewers``, ``home:<u>``). Home is kept current for the people in here only."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast

from bot.adapters.connection import RedisClient
from bot.adapters.keys import HOME_VIEWERS, home_key, lock_key
from bot.domain.home import Viewer

KEEP = 30 * 86_400
"""A person who has not opened App Home for this long is no longer kept current."""


class RedisHomeViewers:
    def __init__(self, redis: RedisClient) -> None:
        self.redis = redis

    async def opened(self, user: str, *, staff: bool, now: float) -> None:
        """``user`` opened App Home: keep it current for them from now on, each section
        from its first page."""
        now_ms = round(now * 1000)
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(HOME_VIEWERS, {user: now_ms})
            pipe.zremrangebyscore(HOME_VIEWERS, "-inf", now_ms - KEEP * 1000)
            pipe.hset(home_key(user), "staff", "1" if staff else "0")
            pipe.hdel(home_key(user), "pages")
            pipe.expire(home_key(user), KEEP)
            await pipe.execute()

    async def forget(self, user: str) -> None:
        """Keep ``user``'s Home current no more (Slack refused it for good)."""
        await self.redis.zrem(HOME_VIEWERS, user)
        await self.redis.delete(home_key(user))

    async def viewers(self) -> list[Viewer]:
        users = cast(list[str], await self.redis.zrange(HOME_VIEWERS, 0, -1))
        if not users:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for user in users:
                pipe.hmget(home_key(user), ["staff", "shown"])
            found = await pipe.execute()
        return [Viewer(user, staff == "1", frozenset(int(n) for n in (shown or "").split(",")
                                                     if n))
                for user, (staff, shown) in zip(users, found, strict=True)]

    async def pages(self, user: str) -> dict[str, int]:
        raw = await self.redis.hget(home_key(user), "pages")
        return {str(k): int(v) for k, v in json.loads(raw).items()} if raw else {}

    async def turn(self, user: str, section: str, page: int) -> None:
        pages = {**await self.pages(user), section: page}
        await self.redis.hset(home_key(user), "pages", json.dumps(pages))

    async def published(self, user: str, shown: Mapping[int, object]) -> None:
        await self.redis.hset(home_key(user), "shown", ",".join(str(n) for n in shown))

    async def hold(self, user: str, seconds: float) -> float:
        """Take ``user``'s publishing slot for ``seconds``: 0 if taken now, else how long
        until it is free (it was taken less than ``seconds`` ago)."""
        key = lock_key(f"home:{user}")
        if await self.redis.set(key, "1", nx=True, px=round(seconds * 1000)):
            return 0.0
        return max(0.001, int(await self.redis.pttl(key)) / 1000)
