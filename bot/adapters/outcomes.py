"""Resolved tickets for reports, and their retention: read by resolution time over every
partition at once; archive old tickets; drop outcomes past keeping; move a channel's
outcomes to its new ID.

Each partition keeps its own resolution index and outcomes (written by the ticket
scripts), so a script touches one partition; a reader asks every partition at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from bot.adapters import report_scripts
from bot.adapters.codec import decode_outcome, outcome_prefix
from bot.adapters.connection import RedisClient, run_scripts
from bot.adapters.keys import Layout, Partition, thread_key
from bot.domain.reports import Outcome

BATCH = 500
"""Tickets archived per partition in one pass (the sweep comes back for the rest)."""
SCAN = 1000
"""Outcomes looked at, or moved to a channel's new ID, in one call."""


class Outcomes:
    def __init__(self, redis: RedisClient, layout: Layout,
                 shift_ms: Callable[[], int] | None = None) -> None:
        self.redis = redis
        self.layout = layout
        self._shift = shift_ms or (lambda: 0)
        self._between = redis.register_script(report_scripts.OUTCOMES_BETWEEN)
        self._archive = redis.register_script(report_scripts.ARCHIVE)
        self._retire = redis.register_script(report_scripts.RETIRE)
        self._of_channel = redis.register_script(report_scripts.OUTCOMES_OF)
        self._relabel = redis.register_script(report_scripts.RELABEL)

    async def _each_partition(self, script: Any, *args: Any) -> list[Any]:
        """``script`` on every partition's resolution index and outcomes: one pipelined
        round trip on one server; on a cluster (whose pipelines run no scripts) one call
        per partition."""
        return await run_scripts(self.redis, script, [
            ([part.resolved, part.outcomes], list(args)) for part in self.layout.all])

    async def between(self, start: float, end: float) -> Iterator[Outcome]:
        """The outcomes of the tickets resolved from ``start`` to ``end`` (exclusive), read
        from every partition at once, decoded one at a time as they are consumed."""
        replies = await self._each_partition(self._between, round(start * 1000),
                                             round(end * 1000))
        return (decode_outcome(int(flat[i]), flat[i + 1]) for flat in replies
                for i in range(0, len(flat), 2))

    async def retire(self, before: float) -> int:
        """Drop the outcomes of tickets resolved before ``before``; how many went."""
        return sum(int(n) for n in await self._each_partition(self._retire,
                                                              round(before * 1000)))

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
