"""Client records kept in a running desk: a read that was in flight when the records changed
is not kept."""

from __future__ import annotations

import asyncio

from bot.adapters.client_cache import ClientCache
from bot.domain.tickets import Client

CHANNEL = "C0ACME0001"
ACME = Client(channel=CHANNEL, name="Acme Media", plan="standard", account_manager="U0AM000001")


async def test_a_read_in_flight_when_the_records_changed_is_not_kept() -> None:
    cache, reads = ClientCache(), []
    cache.live = True
    release = asyncio.Event()

    async def slow_read(channel: str) -> Client | None:
        reads.append(channel)
        await release.wait()
        return ACME  # as Redis had it before the change

    reading = asyncio.create_task(cache.client(CHANNEL, slow_read))
    await asyncio.sleep(0)
    cache.forget()  # a change was published meanwhile
    release.set()
    assert await reading == ACME

    async def read(channel: str) -> Client | None:
        reads.append(channel)
        return None

    assert await cache.client(CHANNEL, read) is None
    assert len(reads) == 2
