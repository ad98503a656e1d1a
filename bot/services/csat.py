"""CSAT: ratings and comments from the client channel, on the resolution message."""

from __future__ import annotations

import logging

from bot.domain import csat
from bot.domain.jobs import Armed, CsatComment, SyncTriage
from bot.domain.text import clean_block
from bot.domain.tickets import Ticket, TicketError, ticket_key
from bot.services.changes import Changes
from bot.services.plans import Plans
from bot.services.ports import Now, TicketStore
from bot.services.staff import Actor

log = logging.getLogger(__name__)


class Ratings:
    def __init__(self, changes: Changes, store: TicketStore, plans: Plans, now: Now) -> None:
        self.changes = changes
        self.store = store
        self.plans = plans
        self.now = now

    async def _rateable(self, number: int, channel: str) -> Ticket:
        """The ticket, if it can be rated from ``channel``: its client channel, where
        anyone may answer (external members too), while its plan asks for ratings."""
        current = await self.store.get(number)
        if current is None:
            raise TicketError("{key} is archived: it can no longer be rated",
                              key=ticket_key(number))
        ticket = current.ticket
        if channel != ticket.channel:
            raise TicketError("{key} can be rated only in its client's channel", key=ticket.key)
        _, plan = await self.plans.client_and_plan(ticket.channel)
        if not plan.csat:
            raise TicketError("ratings are off for {key}", key=ticket.key)
        return ticket

    async def rate(self, number: int, score: int, actor: Actor, *, channel: str) -> None:
        """``actor``'s rating: one per person, a second click changes it."""
        await self._rateable(number, channel)
        now = self.now()
        await self.changes.change(number, lambda t: csat.rate(t, actor.user, score, now),
                                  jobs=[Armed(SyncTriage(ticket=number))])
        log.info("%s rated %d/5 by %s", ticket_key(number), score, actor.user)

    async def comment(self, number: int, text: str, actor: Actor, *, channel: str,
                      once: str) -> None:
        """``actor``'s comment on their rating, told in the ticket's triage thread."""
        await self._rateable(number, channel)
        now, text = self.now(), clean_block(text)
        await self.changes.change(
            number, lambda t: csat.comment(t, actor.user, text, now),
            jobs=[Armed(SyncTriage(ticket=number)),
                  Armed(CsatComment(ticket=number, user=actor.user, ref=once))])
        log.info("%s: CSAT comment by %s", ticket_key(number), actor.user)
