"""Client records kept in a running desk: a change made by another process is seen at once,
and a desk that cannot follow the changes reads Redis each time rather than keep old ones."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.adapters import client_cache
from bot.adapters.client_cache import ClientCache
from bot.adapters.connection import redis_client
from bot.adapters.store import Store
from bot.bootstrap import clients_followed
from bot.domain.tickets import Client
from tests.support.waiting import until

CHANNEL = "C0ACME0001"
ACME = Client(channel=CHANNEL, name="Acme Media", plan="standard", account_manager="U0AM000001")


async def hgets(admin: Redis) -> int:
    stats = await admin.info("commandstats")
    return int(stats.get("cmdstat_hget", {}).get("calls", 0))


@asynccontextmanager
async def desk_and_other(url: str) -> AsyncIterator[tuple[Store, Store, Redis]]:
    """A running desk's store (keeping client records once it follows their changes),
    another process's (``clients set``: keeping none), and an admin connection."""
    desk, other, admin = Store(redis_client(url)), Store(redis_client(url)), Redis.from_url(url)
    async with clients_followed(desk, url):
        cache = cast(ClientCache, desk.client_cache)
        await until(lambda: asyncio.sleep(0, cache.live))
        yield desk, other, admin
    for client in (desk.redis, other.redis, admin):
        await client.aclose()


async def test_a_change_made_elsewhere_is_seen_at_once_and_reads_are_kept_between(
        redis_url: str) -> None:
    async with desk_and_other(redis_url) as (desk, other, admin):
        assert await desk.client(CHANNEL) is None
        await other.put_client(ACME)
        assert await until(lambda: desk.client(CHANNEL)) == ACME
        before = await hgets(admin)
        for _ in range(5):
            assert await desk.client(CHANNEL) == ACME
        assert await hgets(admin) == before  # kept: not read again

        await other.put_client(Client(CHANNEL, "Acme Media", "premium", "U0AM000002"))
        changed = await until(lambda: _plan_is(desk, "premium"))
        assert changed.account_manager == "U0AM000002"
        assert await other.remove_client(CHANNEL)
        await until(lambda: _gone(desk))


async def _kept(desk: Store, admin: Redis) -> bool:
    before = await hgets(admin)
    await desk.client(CHANNEL)
    return await hgets(admin) == before


async def _plan_is(store: Store, plan: str) -> Client | None:
    client = await store.client(CHANNEL)
    return client if client is not None and client.plan == plan else None


async def _gone(store: Store) -> bool:
    return await store.client(CHANNEL) is None


async def test_a_desk_that_cannot_follow_changes_reads_each_time_until_it_can_again(
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_cache, "RECONNECT_AFTER", (1.0,))
    async with desk_and_other(redis_url) as (desk, other, admin):
        await other.put_client(ACME)
        await until(lambda: desk.client(CHANNEL))
        cache = cast(ClientCache, desk.client_cache)
        await admin.client_kill_filter(_type="pubsub")  # the subscription is cut
        await until(lambda: asyncio.sleep(0, not cache.live))
        # Changed while no message can reach the desk: read from Redis, so seen.
        await other.redis.hset("sd:{desk}:clients", CHANNEL,
                               '{"channel": "C0ACME0001", "name": "Acme", "plan": "premium"}')
        before = await hgets(admin)
        assert (await desk.client(CHANNEL) or ACME).plan == "premium"
        assert (await desk.client(CHANNEL) or ACME).plan == "premium"
        assert await hgets(admin) == before + 2
        await until(lambda: asyncio.sleep(0, cache.live))  # subscribed again


async def test_a_desk_stopped_while_it_subscribes_stops_at_once(redis_url: str) -> None:
    async def stopped_after(delay: float) -> float:
        store = Store(redis_client(redis_url))
        async with clients_followed(store, redis_url):
            await asyncio.sleep(delay)
            asked = time.perf_counter()
        await store.redis.aclose()
        return time.perf_counter() - asked

    # Stopped at every moment of its first 5 ms (while it connects and subscribes), twice.
    took = [await asyncio.wait_for(stopped_after((i % 50) / 10_000), 3) for i in range(100)]
    assert max(took) < 0.5


async def test_a_change_cut_off_after_its_first_command_leaves_no_desk_behind_redis(
        redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``clients set`` killed, or Redis out of reach, right after the record is written:
    a running desk never keeps serving the old record while Redis has the new one."""
    async with desk_and_other(redis_url) as (desk, other, admin):
        await other.put_client(ACME)
        await until(lambda: _kept(desk, admin))  # served from the process, not Redis
        sent = other.redis.execute_command

        async def cut_after_one(*args: Any, **options: Any) -> Any:
            monkeypatch.setattr(other.redis, "execute_command", cut)
            return await sent(*args, **options)

        async def cut(*_: Any, **__: Any) -> Any:
            raise RedisConnectionError("the connection dropped")

        monkeypatch.setattr(other.redis, "execute_command", cut_after_one)
        with contextlib.suppress(RedisConnectionError):
            await other.put_client(Client(CHANNEL, "Acme Media", "premium", "U0AM000002"))

        async def in_step() -> bool:
            raw = await admin.hget("sd:{desk}:clients", CHANNEL)
            kept = await desk.client(CHANNEL)
            return (kept.plan if kept else None) == (json.loads(raw)["plan"] if raw else None)

        await until(in_step)
