"""The sweep's side of the store: tickets read and their timers, jobs and index entries
rebuilt many at a time, a script for each ``CHUNK`` tickets of a partition (``scripts.READ``,
``scripts.REBUILD``): one round trip for all of them on one server, where a command per
ticket cost the client far more than Redis."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from redis.commands.core import AsyncScript

from bot.adapters.codec import decode_ticket, job_spec, timer_specs
from bot.adapters.connection import RedisClient, run_scripts
from bot.adapters.index import index_entries
from bot.adapters.keys import Layout
from bot.adapters.sweep_scripts import FORMAT
from bot.domain.jobs import Armed
from bot.domain.sla import Timer
from bot.domain.stamps import Swept
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
    _unswept: AsyncScript
    """``scripts.READ``, ``scripts.REBUILD`` and ``sweep_scripts.UNSWEPT``, registered by
    the store."""

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

    async def unswept(self, numbers: Sequence[int], rules: Mapping[str, str], other: str
                      ) -> tuple[list[Versioned], int]:
        """The tickets of ``numbers`` not known to have their timers, posts and index entry
        in place (``sweep_scripts``) as read, and how many are; ``rules``: each client
        channel's digest of its plan and rules (``other``: any other channel's)."""
        chunks = self._chunks(numbers, READ_CHUNK)
        digests = json.dumps({channel: digest + FORMAT for channel, digest in rules.items()})
        calls: list[tuple[list[str], list[Any]]] = []
        for chunk in chunks:
            part = self.layout.of_ticket(numbers[chunk[0]])
            calls.append(([part.due, part.by_due, *[
                key for i in chunk for key in (self.layout.ticket_hash(numbers[i]),
                                               self.layout.done_set(numbers[i]),
                                               self.layout.timer_set(numbers[i]))]],
                          [int(self._shift()), digests, other + FORMAT]))
        found: list[Versioned] = []
        in_place = 0
        for answer in await run_scripts(self.redis, self._unswept, calls):
            in_place += answer[0]
            for fields, done in zip(answer[1::2], answer[2::2], strict=True):
                raw = dict(zip(fields[::2], fields[1::2], strict=True))
                found.append(Versioned(decode_ticket(raw, set(done)), int(raw["version"])))
        return found, in_place

    async def rebuild_many(self, items: Sequence[tuple[Versioned, Sequence[Armed],
                                                       Sequence[Timer]]],
                           urgencies: Sequence[Urgency] | None = None,
                           swept: Sequence[Swept] | None = None) -> list[bool]:
        """For each (ticket as read, jobs, timers) and its urgency (if given): arm the jobs not
        in the queue already, replace the timers and index entries, unless the ticket changed
        since it was read; with what it is ``Swept`` from (if given: the sweep), record it on
        the ticket (``unswept`` reads it). One round trip on one server; on a cluster
        (whose pipelines run no scripts) up to ``CLUSTER_CALLS`` calls at once."""
        chunks = self._chunks([current.ticket.number for current, _, _ in items],
                              REBUILD_CHUNK)
        calls = [self._rebuild_call(items, chunk, urgencies, swept) for chunk in chunks]
        done = [False] * len(items)
        for chunk, answer in zip(chunks, await run_scripts(self.redis, self._rebuild, calls),
                                 strict=True):
            for i, one in zip(chunk, answer, strict=True):
                done[i] = bool(one)
        return done

    def _rebuild_call(self, items: Sequence[tuple[Versioned, Sequence[Armed],
                                                  Sequence[Timer]]], chunk: list[int],
                      urgencies: Sequence[Urgency] | None, swept: Sequence[Swept] | None
                      ) -> tuple[list[str], list[Any]]:
        """One script's keys (as a ticket script declares them for the chunk's first ticket,
        then each ticket's own and its index keys, each once) and its spec."""
        keys = self._keys(items[chunk[0]][0].ticket.number)
        at = {key: i for i, key in enumerate(keys, 1)}

        def place(key: str) -> int:
            found = at.get(key)
            if found is None:
                keys.append(key)
                found = at[key] = len(keys)
            return found

        layout, spec = self.layout, []
        for i in chunk:
            current, jobs, timers = items[i]
            n = current.ticket.number
            # The ticket's own keys are new to the list: no look-up.
            keys += [layout.ticket_hash(n), layout.done_set(n), layout.timer_set(n)]
            entry: dict[str, Any] = {
                "n": n, "v": current.version, "k": [len(keys) - 2, len(keys) - 1, len(keys)],
                "timers": timer_specs(n, timers), "missing": [job_spec(a) for a in jobs]}
            if swept and urgencies:  # the index entry is part of what it records
                digest, first = swept[i]
                entry["s"] = f"{digest}{FORMAT}:{'' if first is None else round(first * 1000)}"
            if urgencies:
                drop, add = index_entries(layout, current.ticket, current.ticket,
                                          urgencies[i])
                # An entry written again is moved: only the keys it leaves are dropped.
                into = {key for key, _ in add}
                entry["index"] = {"drop": [place(key) for key in drop if key not in into],
                                  "add": [[place(key), score] for key, score in add]}
            spec.append(entry)
        return keys, [int(self._shift()), json.dumps(spec)]
