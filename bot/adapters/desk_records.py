"""What the desk keeps in Redis besides tickets: clients, locks, the records of work done
once (an event, a submission being handled) and what a reaction prompt pre-fills. Each
is one key or one hash in ``{desk}`` (see ``keys``)."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import cast

from redis.asyncio import RedisCluster
from redis.commands.core import AsyncScript

from bot.adapters.client_cache import ClientCache
from bot.adapters.connection import RedisClient
from bot.adapters.keys import (
    CLIENTS,
    CLIENTS_CHANGED,
    latest_key,
    lock_key,
    mail_file_key,
    mail_ref_key,
    once_key,
    prefill_key,
    thread_key,
)
from bot.domain.tickets import Client
from bot.domain.watch import MessageRecords

_SWAP_ONCE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1"""
_FORGET_ONCE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0"""


def _latest(raw: str | None) -> tuple[int, float] | None:
    if not raw:
        return None
    number, _, at = raw.partition(":")
    return int(number), float(at)


class DeskRecords:
    redis: RedisClient
    thread_ttl: int
    _client_change: AsyncScript
    """``scripts.CLIENT_CHANGE``, registered by the store."""
    client_cache: ClientCache | None = None
    """Client records kept in the process (long-running ones), or None: read each time."""

    async def begin_once(self, key: str, running_ttl: float, holder: str) -> bool:
        """Start the work of ``key`` unless it is done or running (a concurrent retry);
        ``holder`` names this delivery's hold."""
        return bool(await self.redis.set(once_key(key), f"running:{holder}", nx=True,
                                         px=round(running_ttl * 1000)))

    async def take_over_once(self, key: str, running_ttl: float, gone: str,
                             holder: str) -> bool:
        """Start the work of ``key`` in place of ``gone``, a delivery whose work failed and
        whose hold is still there; False if it is no longer ``gone``'s (done, or taken)."""
        return bool(await self.redis.eval(
            _SWAP_ONCE, 1, once_key(key), f"running:{gone}", f"running:{holder}",
            round(running_ttl * 1000)))

    async def once_state(self, key: str) -> str | None:
        """``done``, ``running:<holder>``, or None when nobody holds ``key`` (never begun,
        released by a delivery that failed, or its holder's hold expired)."""
        return cast(str | None, await self.redis.get(once_key(key)))

    async def finish_once(self, key: str, ttl: int) -> None:
        """The work of ``key`` is done: later deliveries of it are dropped for ``ttl`` s."""
        await self.redis.set(once_key(key), "done", ex=ttl)

    async def forget_once(self, key: str, holder: str) -> None:
        """Undo ``begin_once`` when the work failed, so that Slack's retry is taken."""
        await self.redis.eval(_FORGET_ONCE, 1, once_key(key), f"running:{holder}")

    async def put_prefill(self, key: str, value: str, ttl: int) -> None:
        """Keep what an Open a ticket button pre-fills (its value names it by ``key``)."""
        await self.redis.set(prefill_key(key), value, ex=ttl)

    async def prefill(self, key: str) -> str | None:
        return cast(str | None, await self.redis.get(prefill_key(key)))

    async def put_file(self, key: str, name: str, data: bytes, ttl: int) -> None:
        """Keep an email's attachment (``name``, ``data``) under ``key`` for ``ttl`` s."""
        await self.redis.set(mail_file_key(key), json.dumps(
            {"name": name, "data": base64.b64encode(data).decode()}), ex=ttl)

    async def file(self, key: str) -> tuple[str, bytes] | None:
        raw = await self.redis.get(mail_file_key(key))
        if not raw:
            return None
        found = json.loads(raw)
        return str(found["name"]), base64.b64decode(found["data"])

    async def put_mail_ref(self, message_id: str, number: int, ttl: int) -> None:
        await self.redis.set(mail_ref_key(message_id), number, ex=ttl)

    async def mail_ref(self, message_ids: Sequence[str]) -> int | None:
        """The ticket of the first of ``message_ids`` that is in a ticket's email thread."""
        if not message_ids:
            return None
        found = await self.redis.mget([mail_ref_key(m) for m in message_ids])
        return next((int(n) for n in found if n), None)

    async def latest_ticket(self, channel: str, user: str) -> tuple[int, float] | None:
        """The ticket ``user``'s latest message in ``channel`` opened or joined, and when."""
        return _latest(cast(str | None, await self.redis.get(latest_key(channel, user))))

    async def lock_message(self, name: str, ttl: float, channel: str, ts: str, user: str
                           ) -> tuple[bool, MessageRecords]:
        """Take the lock ``name`` (as ``lock``) and read what a message at ``ts`` of
        ``user`` needs (as ``message_records``), in one round trip; the records are None
        when the lock was not taken."""
        if isinstance(self.redis, RedisCluster):  # keys on several nodes: read after
            locked = await self.lock(name, ttl)
            return locked, (await self.message_records(channel, ts, user) if locked
                            else MessageRecords(None, None))
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(lock_key(name), "1", nx=True, px=round(ttl * 1000))
            pipe.get(thread_key(channel, ts))
            pipe.get(latest_key(channel, user))
            locked, thread, latest = await pipe.execute()
        return bool(locked), MessageRecords(int(thread) if thread else None, _latest(latest))

    async def message_records(self, channel: str, ts: str, user: str) -> MessageRecords:
        """The ticket the message at ``ts`` is tied to, and ``user``'s latest ticket in
        ``channel``: one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(thread_key(channel, ts))
            pipe.get(latest_key(channel, user))
            thread, latest = await pipe.execute()
        return MessageRecords(int(thread) if thread else None, _latest(latest))

    async def tie_message(self, channel: str, ts: str, number: int, user: str, at: float,
                          ttl: int, *, unlock: str | None = None) -> None:
        """Tie the message at ``ts`` to ticket ``number``, make it ``user``'s latest
        ticket for ``ttl`` s and release the lock ``unlock``: one round trip. (Should only
        the latest ticket be written, a redelivery of the message does not join the
        ticket it opened: it finds it by the message's own record and ties it again.)"""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.set(thread_key(channel, ts), number, ex=self.thread_ttl)
            pipe.set(latest_key(channel, user), f"{number}:{at}", ex=ttl)
            # On a cluster, released once both are written (the keys are on several nodes).
            cluster = isinstance(self.redis, RedisCluster)
            if unlock is not None and not cluster:
                pipe.delete(lock_key(unlock))
            await pipe.execute()
        if unlock is not None and cluster:
            await self.unlock(unlock)

    async def set_latest_ticket(self, channel: str, user: str, number: int, at: float,
                                ttl: int) -> None:
        await self.redis.set(latest_key(channel, user), f"{number}:{at}", ex=ttl)

    async def lock(self, name: str, ttl: float) -> bool:
        return bool(await self.redis.set(lock_key(name), "1", nx=True, px=round(ttl * 1000)))

    async def extend_lock(self, name: str, ttl: float) -> None:
        await self.redis.pexpire(lock_key(name), round(ttl * 1000))

    async def unlock(self, name: str) -> None:
        await self.redis.delete(lock_key(name))

    async def client(self, channel: str) -> Client | None:
        if self.client_cache is None:
            return await self._read_client(channel)
        return await self.client_cache.client(channel, self._read_client)

    async def _read_client(self, channel: str) -> Client | None:
        raw = await self.redis.hget(CLIENTS, channel)
        return Client(**json.loads(raw)) if raw else None

    async def clients(self) -> list[Client]:
        raw = cast(dict[str, str], await self.redis.hgetall(CLIENTS))
        return sorted((Client(**json.loads(v)) for v in raw.values()), key=lambda c: c.name)

    async def put_client(self, client: Client) -> None:
        await self._change_client(client.channel, json.dumps(asdict(client)))

    async def remove_client(self, channel: str) -> bool:
        return await self._change_client(channel, "")

    async def _change_client(self, channel: str, record: str) -> bool:
        """Write ``channel``'s record (none: remove it) and, in the same step, tell every
        process that keeps client records (``client_cache``) to read again: a writer
        killed or cut off from Redis in between would leave them serving the old one."""
        try:
            return bool(await self._client_change(keys=[CLIENTS],
                                                  args=[channel, record, CLIENTS_CHANGED]))
        finally:
            if self.client_cache is not None:
                self.client_cache.forget()
