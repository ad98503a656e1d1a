"""Queries: the tickets a person may see from where they ask."""

from __future__ import annotations

from bot.domain.listing import Listed, TicketRow
from bot.domain.sla import clock_states, is_breached, response_window
from bot.domain.tickets import TicketError, ticket_key
from bot.services.plans import Plans
from bot.services.ports import Now, TicketIndex, TicketStore
from bot.services.staff import Actor, StaffCheck

LISTED_MOST = 25
"""``/ticket list`` shows the most urgent this many; the rest are in App Home."""


class Queries:
    def __init__(self, store: TicketStore, plans: Plans, staff: StaffCheck, index: TicketIndex,
                 now: Now, triage_channel: str | None) -> None:
        self.store = store
        self.plans = plans
        self.staff = staff
        self.index = index
        self.now = now
        self.triage_channel = triage_channel

    def is_internal(self, channel: str) -> bool:
        return channel == self.triage_channel

    async def tickets_for(self, channel: str, actor: Actor, only: int | None = None,
                          most: int = LISTED_MOST) -> Listed:
        """``/ticket list`` and ``/ticket T-1042``: what this person may see from here.

        In a client channel: that client's tickets only. In the triage channel: staff see
        all open tickets. The ``most`` most urgent first, read from the indices.
        """
        internal = self.is_internal(channel)
        if internal:
            await self.staff.require(actor, "Only the support team can list tickets here.")
        numbers, total = ([only], 1) if only is not None else await self.index.most_urgent(
            most, None if internal else channel)
        now = self.now()
        plans = await self.plans.by_channel()
        standard = self.plans.of(None)
        rows: list[TicketRow] = []
        for current in await self.store.get_many(numbers):
            if current is None or (not internal and current.ticket.channel != channel):
                continue
            ticket = current.ticket
            plan = plans.get(ticket.channel, standard)
            window = response_window(ticket, plan)
            calendar = plan.calendar_for(ticket.severity)
            rows.append(TicketRow(ticket, window, is_breached(ticket, plan, now),
                                  clock_states(ticket, plan, now),
                                  calendar))
        if only is not None and not rows:
            raise TicketError("{key} is not a ticket of this channel.", key=ticket_key(only))
        return Listed(rows, total)
