"""The sweep: rebuild every open ticket's timers and missing posts from its state.

Redis holds timers as a projection of ticket state; the sweep puts back what was lost
(a restore from an old backup, a bad manual edit, queued posts gone) and a missed
breach becomes due at once. It never rewrites a ticket or bumps its version, keeps the
attempts and deferrals of the jobs it finds, and reads tickets in batches. What each
ticket was rebuilt from is recorded with it, and the tickets whose record still holds
(the same version, marks and plan, no timer due since, their timers in the queue: the
store's ``unswept``) are left in place without being read.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.assignment import handover_due
from bot.domain.jobs import (
    Armed,
    AutoAssign,
    EmailOrigin,
    PostClientThread,
    PostTriage,
    SyncCard,
)
from bot.domain.plans import Plan
from bot.domain.sla import Timer, desired_timers, running
from bot.domain.stamps import Swept, next_due, rules_stamp
from bot.domain.tickets import Status, Ticket, Versioned
from bot.domain.urgency import Urgency, urgency
from bot.services.plans import Plans
from bot.services.ports import Now, TicketStore

log = logging.getLogger(__name__)

BATCH = 500
READ_AHEAD = 3
"""Batches read at once: most tickets left in place, the reads are most of the work."""

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
    in_place: int = 0
    """Tickets left as they were: everything they should have was known to be in place."""


class Sweeper:
    def __init__(self, store: TicketStore, plans: Plans, warn_at: float, now: Now,
                 auto_assign: bool = False, reassign_after: float | None = None) -> None:
        """``auto_assign``: the desk assigns new tickets (``ASSIGNMENT``): one never
        assigned gets its assignment job back; ``reassign_after`` (``REASSIGN_AFTER``): a
        ticket the desk assigned gets its hand-over check back."""
        self.store = store
        self.plans = plans
        self.warn_at = warn_at
        self.now = now
        self.auto_assign = auto_assign
        self.reassign_after = reassign_after

    def repairs(self, ticket: Ticket) -> list[Armed]:
        """The post jobs a ticket should have (unless they failed for good), its automatic
        assignment while it has never been assigned, and the hand-over check of its
        automatic assignment until that check has run (due when it was to be: at once when
        past); the store arms those that are not in the queue already, and counts the
        ticket in place only while they all are."""
        wanted: list[Armed] = []
        if ticket.mail is not None and ticket.client_ts is None:
            # A ticket opened by email: its sender is named first, the card in that thread.
            wanted.append(Armed(EmailOrigin(ticket=ticket.number)))
        elif ticket.card_at is None:
            wanted.append(Armed(PostClientThread(ticket=ticket.number)))
        if ticket.triage_ts is None:
            wanted.append(Armed(PostTriage(ticket=ticket.number)))
        if self.auto_assign and ticket.status is Status.OPEN and not ticket.assignments:
            wanted.append(Armed(AutoAssign(ticket=ticket.number)))
        check = (handover_due(ticket, self.reassign_after) if self.reassign_after
                 else None)
        if check is not None:
            job = AutoAssign(ticket=ticket.number, after=check[0])
            if job.id not in ticket.sent:  # it ran and left the ticket where it was
                wanted.append(Armed(job, check[1]))
        return [a for a in wanted if failed(a.job.id) not in ticket.sent]

    def stamp(self, plan: Plan) -> str:
        """The digest of what a ticket on ``plan`` is worked out from, the assignment
        settings included (they decide which assignment jobs it should have)."""
        return rules_stamp(plan, self.warn_at, (self.auto_assign, self.reassign_after))

    async def sweep(self, heartbeat: Callable[[], Awaitable[object]] | None = None
                    ) -> SweepResult:
        """Sweep every open ticket; ``heartbeat`` is awaited after each batch (the lock).

        Redis works while this process does: the next batches are read while this one is
        worked out, and each batch's rebuild runs while the next one is."""
        store = self.store
        numbers = await store.open_numbers()
        # Every client's plan, read once (an unregistered channel's is the standard plan).
        plans = await self.plans.by_channel()
        standard = self.plans.of(None)
        rules = {channel: self.stamp(plan) for channel, plan in plans.items()}
        other = self.stamp(standard)
        batches = [numbers[start:start + BATCH] for start in range(0, len(numbers), BATCH)]
        repaired = skipped = in_place = 0

        def read(k: int) -> asyncio.Future[tuple[list[Versioned], int]]:
            return asyncio.ensure_future(store.unswept(batches[k], rules, other))

        reads = deque(read(k) for k in range(min(READ_AHEAD, len(batches))))
        rebuilding: asyncio.Future[list[bool]] | None = None
        try:
            for k in range(len(batches)):
                batch, kept = await reads.popleft()
                in_place += kept
                if k + READ_AHEAD < len(batches):
                    reads.append(read(k + READ_AHEAD))
                await asyncio.sleep(0)  # the read goes out before this batch is worked out
                items, ranked, swept, repairs = self._batch(batch, plans, rules, other)
                repaired += repairs
                if rebuilding is not None:
                    skipped += (await rebuilding).count(False)
                if heartbeat is not None:
                    await heartbeat()
                # The index entries too: a plan edited since, or tickets from before them.
                rebuilding = asyncio.ensure_future(store.rebuild_many(items, ranked, swept))
                await asyncio.sleep(0)  # and the rebuild before the next one is
            if rebuilding is not None:
                skipped += (await rebuilding).count(False)
        finally:
            for pending in (*reads, rebuilding):
                if pending is not None and not pending.done():
                    pending.cancel()
        return SweepResult(len(numbers), repaired, skipped, in_place)

    def _batch(self, batch: list[Versioned], plans: Mapping[str, Plan],
               rules: Mapping[str, str], other: str
               ) -> tuple[list[Rebuilt], list[Urgency], list[Swept], int]:
        """What each ticket of ``batch`` should have armed (its posts still to come, its
        timers), its urgency and what they are worked out from; and how many have posts
        to come."""
        now, warn_at = self.now(), self.warn_at
        standard = self.plans.of(None)
        items: list[Rebuilt] = []
        ranked: list[Urgency] = []
        swept: list[Swept] = []
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
            swept.append((rules.get(ticket.channel, other), next_due(timers, now)))
            repairs = self.repairs(ticket)
            repaired += bool(repairs)
            items.append((current, repairs, timers))
        return items, ranked, swept, repaired

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

    async def redraw_cards(self, channel: str) -> int:
        """Redraw the cards of a client's open tickets (its language changed: the card
        speaks it); how many there were."""
        store = self.store
        mine = [v.ticket.number for v in await store.get_many(await store.open_numbers())
                if v and v.ticket.channel == channel and v.ticket.client_ts]
        for number in mine:
            await store.enqueue(Armed(SyncCard(ticket=number)))
        return len(mine)
