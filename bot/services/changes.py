"""Changing a ticket: optimistic concurrency, and the timers that follow its new state."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.domain.jobs import Armed, RefreshHomes, SyncCard
from bot.domain.plans import Plan
from bot.domain.reports import Outcome, outcome
from bot.domain.sla import Step, Timer, desired_timers
from bot.domain.tickets import Conflict, Status, Ticket, TicketError, Versioned, ticket_key
from bot.domain.urgency import urgency
from bot.services.plans import Plans
from bot.services.ports import Now, TicketStore

CONFLICT_RETRIES = 20

JobsFor = Sequence[Armed] | Callable[[Ticket], Sequence[Armed]]
"""The jobs a change arms: fixed, or made from the changed ticket."""


def seen_changed(before: Ticket, after: Ticket) -> list[Armed]:
    """What follows any change of a ticket: its card, and the App Homes that show it. (A
    channel that only changed its ID keeps its messages: the card shows what it showed.)"""
    n = after.number
    moved = replace(after, channel=before.channel) == before
    return [*([] if moved else [Armed(SyncCard(ticket=n))]), Armed(RefreshHomes(ticket=n))]


class Changes:
    def __init__(self, store: TicketStore, plans: Plans, warn_at: float, now: Now) -> None:
        self.store = store
        self.plans = plans
        self.warn_at = warn_at
        self.now = now

    async def timers(self, ticket: Ticket, now: float | None = None) -> list[Timer]:
        _, plan = await self.plans.client_and_plan(ticket.channel)
        return desired_timers(ticket, plan, self.now() if now is None else now, self.warn_at)

    async def outcome(self, ticket: Ticket, plan: Plan) -> Outcome | None:
        """What a resolved ticket leaves for reports (None while it is not resolved)."""
        if ticket.status is not Status.RESOLVED:
            return None
        fired = await self.store.sla_events(ticket.number)
        return outcome(ticket, plan, [(f.clock, f.due) for f in fired if Step(f.step).is_breach])

    async def change(self, number: int, apply: Callable[[Ticket], Ticket],
                     jobs: JobsFor = (), *, always: bool = False) -> Versioned:
        """Apply a domain change with optimistic concurrency; timers follow the new state.

        A change that returns the very ticket it was given is no change: nothing is written,
        unless ``always`` (its jobs must go out all the same). Every change moves the ticket
        in the indices, and brings its card and the App Homes that show it up to date.
        """
        for _ in range(CONFLICT_RETRIES):
            current = await self.store.get(number)
            if current is None:
                raise TicketError("{key} does not exist", key=ticket_key(number))
            changed = apply(current.ticket)
            if changed is current.ticket and not always:
                return current
            _, plan = await self.plans.client_and_plan(changed.channel)
            warn_at = self.warn_at
            try:
                return await self.store.save(
                    current, changed, jobs=[*(jobs(changed) if callable(jobs) else jobs),
                                            *seen_changed(current.ticket, changed)],
                    timers=desired_timers(changed, plan, self.now(), warn_at),
                    urgency=urgency(changed, plan, warn_at),
                    outcome=await self.outcome(changed, plan))
            except Conflict:
                continue
        raise Conflict(f"{ticket_key(number)} kept changing; gave up after {CONFLICT_RETRIES}")
