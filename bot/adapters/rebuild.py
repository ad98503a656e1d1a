"""The sweep's side of the store: tickets read and their timers, jobs and index entries
rebuilt many at a time, a script for each ``CHUNK`` tickets of a partition (``scripts.READ``,
``scripts.REBUILD``): one round trip for all of them on one server, where a command per
ticket cost the client far more than Redis."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from redis.commands.core import AsyncScript

from bot.adapters.codec import decode_ticket, job_spec, timer_specs
from bot.adapters.connection import RedisClient, run_scripts
from bot.adapters.index import index_entries
from bot.adapters.keys import Layout
from bot.domain.jobs import Armed
from bot.domain.sla import Timer
from bot.domain.tickets import Versioned
from bot.domain.urgency import Urgency

READ_CHUNK = 500
"""Tickets one read script reads."""
REBUILD_CHUNK = 50
"""Tickets one rebuild script rebuilds: Redis runs nothing else meanwhile (a few ms)."""

class Rebuilding:
    redis: RedisClient
    layout: Layout
    _shift: Callable[[], int]
    _read: AsyncScript
    _rebuild: AsyncScript
    """``scripts.READ`` and ``scripts.REBUILD``, registered by the store."""

    def _keys(self, number: int) -> list[str]:
        raise NotImplementedError

    def _chunks(self, numbers: Sequence[int], size: int) -> list[list[int]]:
        """The places in ``numbers`` by partition, ``size`` at most in each chunk."""
        mine: dict[int, list[int]] = {}
        for i, n in enumerate(numbers):
            mine.setdefault(self.layout.of_ticket(n).index, []).append(i)
        return [places[start:start + size] for places in mine.values()
                for start in range(0, len(places), size)]

    async def get_many(self, numbers: Sequence[int]) -> list[Versioned | None]:
        """Several tickets in one round trip (on one server), in the order asked."""
        chunks = self._chunks(numbers, READ_CHUNK)
        calls: list[tuple[list[str], list[Any]]] = [
            ([key for i in chunk for key in (self.layout.ticket_hash(numbers[i]),
                                            self.layout.done_set(numbers[i]))], ["SMEMBERS"])
            for chunk in chunks]
        pairs = [list(zip(flat[::2], flat[1::2], strict=True))
                 for flat in await run_scripts(self.redis, self._read, calls)]
        found: list[Versioned | None] = [None] * len(numbers)
        for chunk, read in zip(chunks, pairs, strict=True):
            for i, (fields, done) in zip(chunk, read, strict=True):
                if fields:
                    raw = dict(zip(fields[::2], fields[1::2], strict=True))
                    found[i] = Versioned(decode_ticket(raw, set(done)), int(raw["version"]))
        return found

    async def rebuild_many(self, items: Sequence[tuple[Versioned, Sequence[Armed],
                                                       Sequence[Timer]]],
                           urgencies: Sequence[Urgency] | None = None) -> list[bool]:
        """For each (ticket as read, jobs, timers) and its urgency (if given): arm the jobs not
        in the queue already, replace the timers and index entries, unless the ticket changed
        since it was read. One round trip on one server; on a cluster (whose pipelines run no
        scripts) up to ``CLUSTER_CALLS`` calls at once."""
        chunks = self._chunks([current.ticket.number for current, _, _ in items],
                              REBUILD_CHUNK)
        calls = [self._rebuild_call(items, chunk, urgencies) for chunk in chunks]
        done = [False] * len(items)
        for chunk, answer in zip(chunks, await run_scripts(self.redis, self._rebuild, calls),
                                 strict=True):
            for i, one in zip(chunk, answer, strict=True):
                done[i] = bool(one)
        return done

    def _rebuild_call(self, items: Sequence[tuple[Versioned, Sequence[Armed],
                                                  Sequence[Timer]]], chunk: list[int],
                      urgencies: Sequence[Urgency] | None) -> tuple[list[str], list[Any]]:
        """One script's keys (as a ticket script declares them for the chunk's first ticket,
        then each ticket's own and its index keys, each once) and its spec."""
        keys = self._keys(items[chunk[0]][0].ticket.number)
        at = {key: i for i, key in enumerate(keys, 1)}

        def place(key: str) -> int:
            if key not in at:
                keys.append(key)
                at[key] = len(keys)
            return at[key]

        spec: list[dict[str, Any]] = []
        for i in chunk:
            current, jobs, timers = items[i]
            n = current.ticket.number
            entry: dict[str, Any] = {
                "n": n, "v": current.version,
                "k": [place(self.layout.ticket_hash(n)), place(self.layout.done_set(n)),
                      place(self.layout.timer_set(n))],
                "timers": timer_specs(n, timers),
                "missing": [job_spec(a) for a in jobs]}
            if urgencies:
                drop, add = index_entries(self.layout, current.ticket, current.ticket,
                                          urgencies[i])
                entry["index"] = {"drop": [place(key) for key in drop],
                                  "add": [[place(key), score] for key, score in add]}
            spec.append(entry)
        return keys, [int(self._shift()), json.dumps(spec)]
