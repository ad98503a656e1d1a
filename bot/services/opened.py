"""The tickets opened in a period, as reports count them: the resolved ones' outcomes as
stored (archived ones too), the others' so far, worked out when the report is made.

Apart from ``reports`` so that a report's figures need no more than this (the benchmark
times them in a process of their own).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

from bot.domain.plans import Plan
from bot.domain.reports import Outcome, outcome
from bot.services.ports import OutcomeReader


async def opened_in(reader: OutcomeReader, start: float, end: float,
                    plan_of: Callable[[str], Plan], now: float,
                    channel: str | None = None) -> Iterator[Outcome]:
    """The outcomes of the tickets opened from ``start`` to ``end`` (of one channel, or of
    all): the resolved ones' as stored, the others' so far at ``now`` under their
    channel's plan."""
    found = await reader.opened(start, end)
    so_far = [outcome(u.ticket, plan_of(u.ticket.channel), u.breaches, now)
              async for u in reader.unresolved(found.unresolved)
              if channel is None or u.ticket.channel == channel]
    resolved = (o for o in found.resolved if channel is None or o.channel == channel)
    return itertools.chain(resolved, so_far)
