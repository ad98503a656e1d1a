"""The indices of open tickets: sorted sets per partition (``keys``), kept by the ticket
scripts, read here by merging the partitions in one pipelined read.

Every index of a ticket is scored by its soonest deadline (ms; ``+inf`` when no clock
runs), except ``by:risk``, scored by when it turns at risk. So the queue's sections are
ranges: breached is ``by:due`` up to now, at risk is ``by:risk`` up to now less the
breached, mine is ``by:user:<me>``; nothing reads every ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.adapters.connection import RedisClient
from bot.adapters.keys import TICKET_KEYS, Layout, Partition
from bot.domain.tickets import Status, Ticket
from bot.domain.urgency import ByClients, ByDeadline, ByHolder, Ranked, Ranking, Urgency

INF = "+inf"


def _ms(at: float | None) -> str:
    return INF if at is None else str(round(at * 1000))


def index_entries(layout: Layout, before: Ticket | None, after: Ticket, urgency: Urgency
                  ) -> tuple[list[str], list[tuple[str, str]]]:
    """A ticket's move in its partition's indices: every index key of its old state and its
    new one (to take it out of), and the (key, score) of each it goes into."""
    part = layout.of_ticket(after.number)
    then = before or after
    by_due, by_risk = part.by_due, part.by_risk
    holder, client = part.by_holder(after.assignee), part.by_client(after.channel)
    keys = list(dict.fromkeys([by_due, by_risk, part.by_holder(then.assignee), holder,
                               part.by_client(then.channel), client]))
    add: list[tuple[str, str]] = []
    if after.status is not Status.RESOLVED:
        due = _ms(urgency.due)
        add = [(by_due, due), (holder, due), (client, due)]
        if urgency.warn is not None:
            add.append((by_risk, _ms(urgency.warn)))
    return keys, add


def index_spec(layout: Layout, before: Ticket | None, after: Ticket, urgency: Urgency | None
               ) -> tuple[list[str], dict[str, Any] | None]:
    """The index keys a ticket script declares after the queue's and the ticket's (KEYS[1..6],
    ``Layout.ticket_keys``), and its ``index`` spec: out of the indices of its old state,
    into those of its new one (no urgency: nothing, its entries stay as they are)."""
    if urgency is None:
        return [], None
    keys, add = index_entries(layout, before, after, urgency)
    first = len(layout.of_ticket(after.number).queue) + TICKET_KEYS + 1
    at = {key: first + i for i, key in enumerate(keys)}
    return keys, {"drop": list(at.values()), "add": [(at[key], score) for key, score in add]}


def keys_of(ranking: Ranking, part: Partition) -> list[str]:
    """A ranking's index key (or keys, read as one) in a partition."""
    match ranking:
        case ByDeadline():
            return [part.by_due]
        case ByHolder(user):
            return [part.by_holder(user)]
        case ByClients(channels):
            return [part.by_client(channel) for channel in channels]


class Index:
    def __init__(self, redis: RedisClient, layout: Layout) -> None:
        self.redis = redis
        self.layout = layout

    async def ranked(self, asks: Sequence[tuple[Ranking, float | None, int]]
                     ) -> list[Ranked]:
        """For each (ranking, up to score (None: all), how many): the first numbers in score
        order and the count, over every partition, in one pipelined read."""
        read: list[list[str]] = [[k for part in self.layout.all for k in keys_of(ranking, part)]
                                 for ranking, _, _ in asks]
        async with self.redis.pipeline(transaction=False) as pipe:
            for keys, (_, upto, most) in zip(read, asks, strict=True):
                top = INF if upto is None else _ms(upto)
                for key in keys:
                    pipe.zrangebyscore(key, "-inf", top, start=0, num=most, withscores=True)
                    pipe.zcount(key, "-inf", top)
            raw = iter(await pipe.execute())
        found: list[Ranked] = []
        for keys, (_, _, most) in zip(read, asks, strict=True):
            scored: list[tuple[float, int]] = []
            total = 0
            for _ in keys:
                scored += [(float(score), int(n)) for n, score in next(raw)]
                total += int(next(raw))
            found.append(Ranked([n for _, n in sorted(scored)[:most]], total))
        return found

    async def most_urgent(self, most: int, channel: str | None = None) -> tuple[list[int], int]:
        """The ``most`` open tickets due soonest (of a client channel, or all), and how many."""
        ranking = ByDeadline() if channel is None else ByClients((channel,))
        found, = await self.ranked([(ranking, None, most)])
        return found.numbers, found.total

    async def at_risk(self, now: float, most: int) -> Ranked:
        """Tickets past their first warning and before their deadline, soonest first."""
        parts = self.layout.all
        async with self.redis.pipeline(transaction=False) as pipe:
            for part in parts:
                pipe.zrangebyscore(part.by_risk, "-inf", _ms(now))
            warned = await pipe.execute()
        asked = [(part, members) for part, members in zip(parts, warned, strict=True) if members]
        if not asked:
            return Ranked([], 0)
        async with self.redis.pipeline(transaction=False) as pipe:
            for part, members in asked:
                pipe.zmscore(part.by_due, members)
            scores = await pipe.execute()
        limit = round(now * 1000)
        due = sorted((float(s), int(n)) for (_, members), found in zip(asked, scores, strict=True)
                     for n, s in zip(members, found, strict=True)
                     if s is not None and float(s) > limit)
        return Ranked([n for _, n in due[:most]], len(due))
