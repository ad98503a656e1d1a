"""Client records kept in the process, so that a submission or a change does not read its
client from Redis each time.

A record changes only through ``DeskRecords.put_client`` and ``remove_client``, which
publish the channel on ``CLIENTS_CHANGED`` in the same step as the write. The cache
serves records only while this process is subscribed to that channel: a message empties
it, and so does the subscription failing (Redis restarted, failing over, a network cut),
after which every read goes to Redis until the subscription is back. A read that was in
flight when the cache was emptied is not kept (it may be older than the change). An
entry is read again after ``MAX_AGE`` seconds at most, which bounds how long a change
can go unseen if a message were lost without the connection failing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.adapters.connection import stand_by_cancellation
from bot.adapters.keys import CLIENTS_CHANGED
from bot.domain.tickets import Client

log = logging.getLogger(__name__)

MAX_AGE = 60.0
"""Seconds an entry is served before it is read again."""

RECONNECT_AFTER = (0.5, 1.0, 2.0, 5.0)
"""Seconds before subscribing again after the subscription failed, by failures in a row."""

HEALTH_CHECK = 10
"""Seconds of silence after which the subscription pings Redis (a dead peer is noticed)."""


class ClientCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[float, Client | None]] = {}
        self._generation = 0
        self._failures = 0
        self.live = False
        """Whether the subscription is up, so that what is kept is kept current."""

    async def client(self, channel: str, read: Callable[[str], Awaitable[Client | None]]
                     ) -> Client | None:
        """``channel``'s client as kept, or as ``read`` from Redis (and then kept)."""
        now = self._clock()
        if self.live:
            kept = self._entries.get(channel)
            if kept is not None and now - kept[0] < MAX_AGE:
                return kept[1]
        generation = self._generation
        found = await read(channel)
        if self.live and generation == self._generation:
            self._entries[channel] = (now, found)
        return found

    def forget(self) -> None:
        """Empty the cache; reads in flight are not kept either."""
        self._generation += 1
        self._entries.clear()

    async def follow(self, subscriber: Redis) -> None:
        """Keep the cache current from the changes published, until cancelled; subscribe
        again (with backoff) whenever the subscription fails."""
        try:
            while True:
                try:
                    await self._subscribed(subscriber)
                except (RedisError, OSError) as exc:
                    stand_by_cancellation()
                    self._down()
                    if self._failures == 0:
                        log.warning("client records are read from Redis each time until "
                                    "the subscription to their changes is back: %s",
                                    type(exc).__name__)
                    pause = RECONNECT_AFTER[min(self._failures, len(RECONNECT_AFTER) - 1)]
                    self._failures += 1
                    await asyncio.sleep(pause)
        finally:
            self._down()

    async def _subscribed(self, subscriber: Redis) -> None:
        async with subscriber.pubsub() as pubsub:
            await pubsub.subscribe(CLIENTS_CHANGED)
            while True:
                stand_by_cancellation()
                message = await pubsub.get_message(timeout=HEALTH_CHECK)
                if message is None:
                    continue
                if message["type"] == "subscribe":
                    self.forget()
                    self.live, self._failures = True, 0
                    log.info("client records are kept in the process, following their "
                             "changes")
                elif message["type"] == "message":
                    self.forget()

    def _down(self) -> None:
        self.live = False
        self.forget()
