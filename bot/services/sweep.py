"""The sweep: rebuild every open ticket's timers and missing posts from its state.

Redis holds timers as a projection of ticket state; the sweep puts back what was lost
(a restore from an old backup, a bad manual edit, queued posts gone) and a missed
breach becomes due at once. It never rewrites a ticket or bumps its version, keeps the
attempts and deferrals of the jobs it finds, and reads tickets in batches.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.jobs import Armed, EmailOrigin, PostClientThread, PostTriage
from bot.domain.plans import Plan
from bot.domain.sla import Timer, desired_timers, running
from bot.domain.tickets import Ticket, Versioned
from bot.domain.urgency import Urgency, urgency
from bot.services.plans import Plans
from bot.services.ports import Now, TicketStore

log = logging.getLogger(__name__)

BATCH = 500

Rebuilt = tuple[Versioned, Sequence[Armed], Sequence[Timer]]
"""A ticket as read, the post jobs it should have, its timers."""


def failed(job_id: str) -> str:
    """The done-set record of an effect that failed for good (no sweep retries it)."""
    return f"failed:{job_id}"


@dataclass(frozen=True)
class SweepResult:
    tickets: int
    repaired: int
    """Tickets with a post still to come (their jobs are put back if they were lost)."""
    skipped: int
    """Tickets that changed while swept (their change rebuilt their timers already)."""


class Sweeper:
    def __init__(self, store: TicketStore, plans: Plans, warn_at: float, now: Now) -> None:
        self.store = store
        self.plans = plans
        self.warn_at = warn_at
        self.now = now

    def repairs(self, ticket: Ticket) -> list[Armed]:
        """The post jobs a ticket should have (unless they failed for good); the store arms
        those that are not in the queue already."""
        wanted: list[PostClientThread | PostTriage | EmailOrigin] = []
        if ticket.client_ts is None:
            # A ticket opened by email: its sender is named first, the card in that thread.
            wanted.append(EmailOrigin(ticket=ticket.number) if ticket.mail
                          else PostClientThread(ticket=ticket.number))
        elif ticket.mail is not None and ticket.card_at is None:
            wanted.append(PostClientThread(ticket=ticket.number))
        if ticket.triage_ts is None:
            wanted.append(PostTriage(ticket=ticket.number))
        return [Armed(j) for j in wanted if failed(j.id) not in ticket.sent]

    async def sweep(self, heartbeat: Callable[[], Awaitable[object]] | None = None
                    ) -> SweepResult:
        """Sweep every open ticket; ``heartbeat`` is awaited after each batch (the lock).

        Redis works while this process does: the next batch is read while this one is
        worked out, and each batch's rebuild runs while the next one is."""
        store = self.store
        numbers = await store.open_numbers()
        # Every client's plan, read once (an unregistered channel's is the standard plan).
        plans = await self.plans.by_channel()
        batches = [numbers[start:start + BATCH] for start in range(0, len(numbers), BATCH)]
        repaired = skipped = 0
        reading = asyncio.ensure_future(store.get_many(batches[0])) if batches else None
        rebuilding: asyncio.Future[list[bool]] | None = None
        try:
            for k in range(len(batches)):
                assert reading is not None
                batch = [v for v in await reading if v]
                reading = (asyncio.ensure_future(store.get_many(batches[k + 1]))
                           if k + 1 < len(batches) else None)
                items, ranked, repairs = self._batch(batch, plans)
                repaired += repairs
                if rebuilding is not None:
                    skipped += (await rebuilding).count(False)
                if heartbeat is not None:
                    await heartbeat()
                # The index entries too: a plan edited since, or tickets from before them.
                rebuilding = asyncio.ensure_future(store.rebuild_many(items, ranked))
            if rebuilding is not None:
                skipped += (await rebuilding).count(False)
        finally:
            for pending in (reading, rebuilding):
                if pending is not None and not pending.done():
                    pending.cancel()
        return SweepResult(len(numbers), repaired, skipped)

    def _batch(self, batch: list[Versioned], plans: Mapping[str, Plan]
               ) -> tuple[list[Rebuilt], list[Urgency], int]:
        """What each ticket of ``batch`` should have armed (its posts still to come, its
        timers) and its urgency; and how many have posts to come."""
        now, warn_at = self.now(), self.warn_at
        standard = self.plans.of(None)
        items: list[Rebuilt] = []
        ranked: list[Urgency] = []
        repaired = 0
        for current in batch:
            ticket = current.ticket
            plan = plans.get(ticket.channel, standard)
            try:
                clocks = running(ticket, plan)
                timers = desired_timers(ticket, plan, now, warn_at, clocks)
                ranked.append(urgency(ticket, plan, warn_at, clocks))
            except Exception:  # one ticket's trouble must not stop the sweep of the others
                log.exception("%s: the sweep could not work out its timers", ticket.key)
                continue
            repairs = self.repairs(ticket)
            repaired += bool(repairs)
            items.append((current, repairs, timers))
        return items, ranked, repaired

    async def follow_plan(self, channel: str) -> int:
        """Recompute the open tickets of a client whose plan changed; how many there were."""
        store = self.store
        mine = [v for v in await store.get_many(await store.open_numbers())
                if v and v.ticket.channel == channel]
        _, plan = await self.plans.client_and_plan(channel)
        now, warn_at = self.now(), self.warn_at
        # A ticket that changed meanwhile was rebuilt by its own change, on the new plan.
        await store.rebuild_many(
            [(v, [], desired_timers(v.ticket, plan, now, warn_at)) for v in mine],
            [urgency(v.ticket, plan, warn_at) for v in mine])
        return len(mine)
