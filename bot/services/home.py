"""App Home: the queue a person sees (by their role), and who must see a change.

Staff see *My tickets*, *Unassigned*, *At risk* and *Breached*; account managers also
*My clients*; anyone else no tickets. Each section is a page of a ranking of the open
tickets (``bot.domain.urgency``), soonest deadline first, with how many there are in all.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.home import PAGE, Home, HomeRow, Part, Section
from bot.domain.jobs import Armed, PublishHome
from bot.domain.tickets import Client
from bot.domain.urgency import ByClients, ByDeadline, ByHolder, Ranking, Standing, urgency
from bot.services.plans import Plans
from bot.services.ports import HomeViewers, Now, Rankings, TicketStore
from bot.services.staff import Actor, StaffCheck


class Homes:
    def __init__(self, store: TicketStore, plans: Plans, staff: StaffCheck, index: Rankings,
                 viewers: HomeViewers, now: Now, warn_at: float) -> None:
        self.store = store
        self.plans = plans
        self.staff = staff
        self.index = index
        self.viewers = viewers
        self.now = now
        self.warn_at = warn_at

    async def opened(self, actor: Actor) -> None:
        """App Home opened: published now, each section on its first page, and kept
        current for staff and account managers (others get the explanation once)."""
        staff = await self.staff.is_staff(actor)
        if staff or await self._clients_of(actor.user):
            await self.viewers.opened(actor.user, staff=staff, now=self.now())
        await self.store.enqueue(Armed(PublishHome(user=actor.user, asked=True)))

    async def turn_page(self, actor: Actor, section: Section, page: int) -> None:
        await self.viewers.turn(actor.user, section.value, max(0, page))
        await self.store.enqueue(Armed(PublishHome(user=actor.user, asked=True)))

    async def _clients_of(self, user: str) -> list[Client]:
        return [c for c in await self.store.clients() if c.account_manager == user]

    async def home(self, actor: Actor) -> Home:
        """What ``actor``'s Home shows now."""
        now = self.now()
        staff = await self.staff.is_staff(actor)
        clients = {c.channel: c for c in await self.store.clients()}
        mine = [c for c in clients.values() if c.account_manager == actor.user]
        if not staff and not mine:
            return Home(actor.user, False, [], now)
        pages = await self.viewers.pages(actor.user)
        wanted: list[tuple[Section, Ranking, float | None]] = []
        if staff:
            wanted += [(Section.MINE, ByHolder(actor.user), None),
                       (Section.UNASSIGNED, ByHolder(None), None),
                       (Section.BREACHED, ByDeadline(), now)]
        if mine:
            wanted.append((Section.CLIENTS, ByClients(tuple(c.channel for c in mine)), None))
        first = {s: pages.get(s.value, 0) * PAGE for s in Section}
        ranked = await self.index.ranked([(ranking, upto, first[s] + PAGE)
                                          for s, ranking, upto in wanted])
        found = {s: r for (s, _, _), r in zip(wanted, ranked, strict=True)}
        if staff:
            found[Section.AT_RISK] = await self.index.at_risk(now, first[Section.AT_RISK] + PAGE)
        order = [s for s in Section if s in found]
        # A section that shrank under the page it was on shows its last page, from now on.
        # (Every number up to the page asked for was read, so the last page's are there.)
        for s in order:
            if first[s] and first[s] >= found[s].total:
                first[s] = max(0, found[s].total - 1) // PAGE * PAGE
                await self.viewers.turn(actor.user, s.value, first[s] // PAGE)
        numbers = {s: found[s].numbers[first[s]:first[s] + PAGE] for s in order}
        rows = await self._rows([n for s in order for n in numbers[s]], clients)
        return Home(actor.user, staff, [
            Part(s, [rows[n] for n in numbers[s] if n in rows], found[s].total,
                 first[s] // PAGE) for s in order], now)

    async def _rows(self, numbers: Sequence[int], clients: dict[str, Client]
                    ) -> dict[int, HomeRow]:
        rows: dict[int, HomeRow] = {}
        for current in await self.store.get_many(list(dict.fromkeys(numbers))):
            if current is None:
                continue
            ticket = current.ticket
            client = clients.get(ticket.channel)
            rows[ticket.number] = HomeRow(ticket, client,
                                      urgency(ticket, self.plans.of(client), self.warn_at))
        return rows

    async def audience(self, number: int) -> list[str]:
        """Whose Home shows the ticket, or should now: it was on it, it is theirs or their
        client's, or (for staff) nobody holds it, or it is at risk or breached."""
        viewers = await self.viewers.viewers()
        current = await self.store.get(number) if viewers else None
        if current is None:
            return [v.user for v in viewers if number in v.shown]
        ticket = current.ticket
        client, plan = await self.plans.client_and_plan(ticket.channel)
        standing = urgency(ticket, plan, self.warn_at).standing(self.now())
        shared = ticket.resolved_at is None and (
            ticket.assignee is None or standing is not Standing.ON_TRACK)
        close = {ticket.assignee, client.account_manager if client else None}
        return [v.user for v in viewers
                if number in v.shown or v.user in close or (v.staff and shared)]
