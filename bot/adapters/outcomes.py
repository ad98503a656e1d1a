"""Tickets for reports, and their retention: the tickets opened in a period (resolved
ones' outcomes, and the others) read over every partition at once; archive old tickets;
drop outcomes past keeping; move a channel's outcomes to its new ID.

Each partition keeps its own indexes and outcomes (written by the ticket scripts), so a
script touches one partition; a reader asks every partition at once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, cast

from bot.adapters import report_scripts, scripts
from bot.adapters.codec import decode_outcome, decode_ticket, outcome_prefix
from bot.adapters.connection import RedisClient, run_scripts
from bot.adapters.keys import Layout, Partition, thread_key
from bot.domain.reports import OpenedBetween, Unresolved
from bot.domain.sla import Step

BATCH = 500
"""Tickets archived per partition in one pass (the sweep comes back for the rest)."""
SCAN = 1000
"""Outcomes looked at, or moved to a channel's new ID, in one call."""
READ = 500
"""Unresolved tickets read by one script (the scripts of every partition run at once)."""


class Outcomes:
    def __init__(self, redis: RedisClient, layout: Layout,
                 shift_ms: Callable[[], int] | None = None) -> None:
        self.redis = redis
        self.layout = layout
        self._shift = shift_ms or (lambda: 0)
        self._opened = redis.register_script(report_scripts.OPENED_BETWEEN)
        self._index_created = redis.register_script(report_scripts.INDEX_CREATED)
        self._tickets = redis.register_script(scripts.READ)
        self._archive = redis.register_script(report_scripts.ARCHIVE)
        self._retire = redis.register_script(report_scripts.RETIRE)
        self._of_channel = redis.register_script(report_scripts.OUTCOMES_OF)
        self._relabel = redis.register_script(report_scripts.RELABEL)

    async def _each_partition(self, script: Any, keys: Callable[[Partition], list[str]],
                              *args: Any) -> list[Any]:
        """``script`` on ``keys`` of every partition: one pipelined round trip on one
        server; on a cluster (whose pipelines run no scripts) one call per partition."""
        return await run_scripts(self.redis, script, [
            (keys(part), list(args)) for part in self.layout.all])

    async def opened(self, start: float, end: float) -> OpenedBetween:
        """The tickets opened from ``start`` to ``end`` (exclusive), read from every
        partition at once: the resolved ones' outcomes, decoded one at a time as they are
        consumed, and the numbers of the others (``unresolved`` reads them)."""
        replies = await self._each_partition(
            self._opened, lambda part: [part.created, part.outcomes, part.open],
            round(start * 1000), round(end * 1000))
        resolved = (decode_outcome(int(flat[i]), flat[i + 1]) for flat, _ in replies
                    for i in range(0, len(flat), 2))
        return OpenedBetween(resolved, [int(n) for _, numbers in replies for n in numbers])

    async def unresolved(self, numbers: Sequence[int]) -> AsyncIterator[Unresolved]:
        """The tickets ``numbers`` (unresolved ones), each with the breaches fired for it:
        a script per partition and ``READ`` tickets, all at once; a ticket gone meanwhile
        is left out."""
        mine: dict[int, list[int]] = {}
        for n in numbers:
            mine.setdefault(self.layout.of_ticket(n).index, []).append(n)
        chunks = [part[i:i + READ] for part in mine.values() for i in range(0, len(part), READ)]
        calls: list[tuple[list[str], list[Any]]] = [
            ([key for n in chunk
              for key in (self.layout.ticket_hash(n), self.layout.fired_hash(n))], ["HVALS"])
            for chunk in chunks]
        for flat in await run_scripts(self.redis, self._tickets, calls):
            for fields, fired in zip(flat[::2], flat[1::2], strict=True):
                if fields:
                    records = [json.loads(f) for f in fired]
                    yield Unresolved(decode_ticket(dict(zip(fields[::2], fields[1::2],
                                                            strict=True)), set()), [
                        (r["clock"], r["due"]) for r in records if Step(r["step"]).is_breach])

    async def retire(self, before: float) -> int:
        """Drop the outcomes of tickets resolved before ``before``; how many went."""
        return sum(int(n) for n in await self._each_partition(
            self._retire, lambda part: [part.resolved, part.outcomes, part.created],
            round(before * 1000)))

    async def index_created(self) -> int:
        """Index by creation the outcomes kept before reports went by creation (a
        partition whose creation index has fewer entries than its outcomes): how many."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in self.layout.all:
                pipe.zcard(part.created)
                pipe.hlen(part.outcomes)
            counts = await pipe.execute()
        added = 0
        for part, indexed, kept in zip(self.layout.all, counts[::2], counts[1::2], strict=True):
            if int(indexed) >= int(kept):
                continue
            found: list[Any] = []
            async for number, raw in self.redis.hscan_iter(part.outcomes, count=1000):
                found += [number, round(decode_outcome(int(number), raw).created_at * 1000)]
                if len(found) >= 2000:
                    added += await self._index_in(part, found)
                    found = []
            added += await self._index_in(part, found)
        return added

    async def _index_in(self, part: Partition, found: list[Any]) -> int:
        if not found:
            return 0
        return int(await self._index_created(keys=[part.created, part.outcomes], args=found))

    async def archive(self, before: float) -> int:
        """Archive the tickets resolved before ``before`` (at most ``BATCH`` a partition):
        what is left of each is its outcome. How many were archived."""
        archived = 0
        cutoff = round(before * 1000)
        for part in self.layout.all:
            archived += await self._archive_in(part, cutoff)
        return archived

    async def _archive_in(self, part: Partition, cutoff: int) -> int:
        """Archive up to ``BATCH`` tickets of a partition, oldest resolution first, from its
        watermark: every ticket resolved before it is archived (those resolved at it may be
        too, and are passed over)."""
        since = float(await self.redis.get(part.archived) or 0)
        archived = offset = 0
        while True:
            due = cast(list[tuple[str, float]], await self.redis.zrangebyscore(
                part.resolved, since, cutoff, start=offset, num=BATCH, withscores=True))
            if not due:
                return archived
            offset += len(due)
            for member, score in due:
                if archived >= BATCH:
                    return archived
                archived += await self._archive_one(part, int(member), cutoff)
                await self.redis.set(part.archived, round(score))

    async def _archive_one(self, part: Partition, number: int, cutoff: int) -> int:
        """1 archived (its thread index goes too); 0 not due, or archived already."""
        channel, ts = cast(list[str | None], await self.redis.hmget(
            self.layout.ticket_hash(number), ["channel", "client_ts"]))
        done = int(await self._archive(keys=[*part.queue, *self.layout.ticket_keys(number)],
                                       args=[int(self._shift()), f'{{"cutoff":{cutoff}}}']))
        if done == 1 and channel and ts:
            await self.redis.delete(thread_key(channel, ts))
        return done

    async def of_channel(self, channel: str) -> list[int]:
        """The numbers of the resolved tickets of ``channel`` (archived or not) that reports
        still count, read ``SCAN`` outcomes at a time in each partition."""
        found: list[int] = []
        prefix = outcome_prefix(channel)
        for part in self.layout.all:
            cursor = "0"
            while True:
                reply = await self._of_channel(keys=[part.outcomes], args=[cursor, prefix, SCAN])
                cursor = str(reply[0])
                found += [int(n) for n in reply[1:]]
                if cursor == "0":
                    break
        return found

    async def relabel(self, numbers: Sequence[int], old: str, new: str) -> int:
        """The outcomes of ``numbers`` that are channel ``old``'s become ``new``'s; how many."""
        by_part: dict[Partition, list[int]] = defaultdict(list)
        for number in numbers:
            by_part[self.layout.of_ticket(number)].append(number)
        moved = 0
        for part, some in by_part.items():
            for i in range(0, len(some), SCAN):
                moved += int(await self._relabel(keys=[part.outcomes], args=[
                    outcome_prefix(old), outcome_prefix(new), *some[i:i + SCAN]]))
        return moved
